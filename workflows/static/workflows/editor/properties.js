/*
 * A step's properties: one typed input per field of its action (read from the action
 * registry through the catalog), never YAML or JSON.
 *
 * A data type is a dropdown; fields of a thing are rows of (field, shown with its kind) =
 * value; the workflow to trigger or schedule is a dropdown, and its parameters appear as
 * labelled inputs; every value can be typed or picked with "Insert dynamic data".
 */
"use strict";

import {h, fieldId, row} from "./dom.js";
import {typeLabel, valueInput} from "./dynamic.js";

/** The kind a value must have, from a field's ``expects`` or a data type field's kind. */
function expectation(kindName, dataType) {
    return kindName ? {kind: kindName, data_type: dataType || undefined} : null;
}

function select(id, options, value, onChange, {label, blank} = {}) {
    const element = h("select", {id, "aria-label": label || null},
        blank !== undefined ? h("option", {value: ""}, blank) : null,
        options.map((option) => h("option", {value: option.value, selected: String(option.value) === String(value ?? "")}, option.label)));
    element.addEventListener("change", () => onChange(element.value));
    return element;
}

/** The properties panel of step ``index`` (``ctx``: the editor's shared state and helpers). */
export function stepProperties(ctx, index) {
    const step = ctx.definition.actions[index];
    const action = ctx.action(step.type);
    const path = ["actions", index];
    const panel = h("div", {class: "wf-props", id: `wf-props-${index}`});
    const scope = () => ctx.scopeAt(index);
    if (!action) {
        panel.append(h("p", {class: "errornote"}, `Unknown action type ${step.type}`));
        return panel;
    }
    panel.append(h("p", {class: "wf-props-desc"}, action.description));
    for (const field of action.fields.filter((f) => belongs(action, step, f))) {
        panel.append(fieldRow(ctx, step, field, [...path, field.key], scope));
    }
    const idId = fieldId([...path, "id"]);
    const idInput = h("input", {
        id: idId, class: "vTextField", value: step.id || "", placeholder: "e.g. paid",
        readonly: !ctx.canSave || null, "aria-describedby": `${idId}-help`,
        pattern: "[A-Za-z_][A-Za-z0-9_]*",
    });
    idInput.addEventListener("input", () => ctx.set(step, "id", idInput.value.trim()));
    const labelId = fieldId([...path, "label"]);
    const labelInput = h("input", {id: labelId, class: "vTextField", value: step.label || "", readonly: !ctx.canSave || null});
    labelInput.addEventListener("input", () => ctx.set(step, "label", labelInput.value));
    const conditionId = fieldId([...path, "only_when"]);
    panel.append(h("details", {class: "wf-more", open: step.id || step.label || step.only_when ? true : null},
        h("summary", null, "Name, label and “Only when”"),
        row("Only when", valueInput({
            id: conditionId, label: `Only when (step ${index + 1})`, condition: true,
            value: step.only_when || "", readonly: !ctx.canSave,
            scope, catalog: ctx.catalog, onChange: (v) => ctx.set(step, "only_when", v.trim()),
        }), {id: conditionId, help: "Run this step only when this is true; otherwise it is skipped."}),
        row("Step id", idInput, {id: idId, help: "Name its result for later steps: steps.<id>."}),
        row("Label", labelInput, {id: labelId, help: "Shown on the step's card and in the run log."}),
    ));
    return panel;
}

/** Whether ``field`` belongs to ``step`` as it is set now (``shown_for``: only while a
 * choice of the step has one of some values, e.g. return_data's text for response type text). */
function belongs(action, step, field) {
    if (!field.shown_for) {
        return true;
    }
    const chooser = action.fields.find((f) => f.key === field.shown_for.key);
    const chosen = step[field.shown_for.key] ?? chooser?.default;
    return field.shown_for.values.includes(chosen);
}

/** A choice changed: the keys of fields that no longer belong go (they would be refused). */
function dropStrayKeys(ctx, action, step) {
    for (const field of action.fields) {
        if (!belongs(action, step, field) && step[field.key] !== undefined) {
            ctx.set(step, field.key, undefined);
        }
    }
}

function fieldRow(ctx, step, field, path, scope) {
    const id = fieldId(path);
    const label = field.label + (field.required ? "" : " (optional)");
    const value = step[field.key];
    const onChange = (v) => ctx.set(step, field.key, v);
    const readonly = !ctx.canSave;
    let control;
    if (field.kind === "data_type") {
        control = select(id, Object.keys(ctx.catalog.data_types).map((dt) => ({value: dt, label: `${ctx.catalog.data_types[dt].name} (${dt})`})), value,
            (v) => { onChange(v); ctx.render(); }, {label, blank: "Choose a data type"});
        control.disabled = readonly;
    } else if (field.kind === "workflow") {
        const choices = ctx.catalog.workflows
            .filter((w) => !field.workflow_kind || w.kind === field.workflow_kind)
            .filter((w) => w.name !== ctx.definition.name || field.workflow_kind === "api")
            .map((w) => ({value: w.name, label: w.name}));
        control = select(id, choices, value, (v) => { onChange(v); ctx.render(); }, {label, blank: "Choose a workflow"});
        control.disabled = readonly;
    } else if (field.kind === "choice") {
        const chosen = (v) => {
            onChange(v || undefined);
            const action = ctx.action(step.type);
            if (action.fields.some((f) => f.shown_for?.key === field.key)) {
                dropStrayKeys(ctx, action, step);
                ctx.render();
            }
        };
        control = select(id, field.choices.map((c) => ({value: c, label: c})), value ?? field.default, chosen, {label, blank: field.required ? undefined : "(default)"});
        control.disabled = readonly;
    } else if (field.kind === "mapping" || field.expects === "object") {
        control = mappingEditor(ctx, step, field, path, scope);
    } else {
        const multiline = field.multiline || field.kind === "text" && /body|message|html/.test(field.key);
        control = valueInput({
            id, label: `${field.label} (step ${path[1] + 1})`, multiline, readonly,
            value: typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value),
            expected: expectation(field.expects), scope, catalog: ctx.catalog,
            onChange: (v) => onChange(coerceTyped(v, field)),
        });
    }
    const shown = row(label, control, {id, help: field.help, wide: field.kind === "mapping"});
    const preview = ctx.preview(path[1], field.key);
    if (preview) {
        shown.querySelector(".wf-control").append(preview);
    }
    return shown;
}

/** Numbers and yes/no typed as plain text are stored as such; everything else as text. */
function coerceTyped(value, field) {
    if (field.kind === "number" && /^-?\d+(\.\d+)?$/.test(value.trim())) {
        return Number(value.trim());
    }
    if (field.expects === "yes_no" && /^(true|false)$/i.test(value.trim())) {
        return value.trim().toLowerCase() === "true";
    }
    return value === "" ? undefined : value;
}

/* --- mappings: a thing's fields, a workflow's parameters, or free keys ------------------ */

/** What the mappings of step ``index`` offer as keys, as text: when a check changes it
 * (the thing to change was just picked), the step's inputs are rebuilt. */
export function keysSignature(ctx, index) {
    const step = ctx.definition.actions[index];
    const action = step && ctx.action(step.type);
    if (!action) {
        return "";
    }
    return JSON.stringify(action.fields.filter((f) => f.keys_of).map((f) => {
        const keys = offeredKeys(ctx, step, f, index);
        return keys ? keys.map((k) => k.name) : null;
    }));
}

/** The keys a mapping offers: [{name, label, type, required, choices}] or null (free keys). */
function offeredKeys(ctx, step, field, index) {
    if (!field.keys_of) {
        return null;
    }
    const [source, key] = field.keys_of.split(":");
    if (source === "params_of") {
        const workflow = ctx.catalog.workflows.find((w) => w.name === step[key]);
        if (!workflow) {
            return [];
        }
        return workflow.parameters.map((p) => ({
            name: p.key, label: p.key, required: p.required,
            type: p.list ? {kind: "list", label: `list of ${p.data_type || p.type}`} : {kind: p.data_type ? "thing" : p.type, data_type: p.data_type || undefined, label: p.data_type || p.type},
        }));
    }
    let dataType = null;
    if (field.keys_of === `fields_of:data_type`) {
        dataType = step.data_type;
    } else {
        const type = ctx.kindOf(step[key], index);
        dataType = type && (type.kind === "thing" ? type.data_type : type.item && type.item.data_type);
    }
    const dt = dataType && ctx.catalog.data_types[dataType];
    if (!dt) {
        return null;
    }
    return dt.fields.filter((f) => f.writable).map((f) => ({
        name: f.name, label: f.title || f.name, type: f, required: f.required, choices: f.choices,
    }));
}

function mappingEditor(ctx, step, field, path, scope) {
    const index = path[1];
    const current = step[field.key] && typeof step[field.key] === "object" ? step[field.key] : {};
    const keys = offeredKeys(ctx, step, field, index);
    const box = h("div", {class: "wf-mapping", id: fieldId(path), role: "group", "aria-label": field.label});
    const commit = (next) => ctx.set(step, field.key, Object.keys(next).length ? next : undefined);
    const valueFor = (name, type) => valueInput({
        id: fieldId([...path, name]), label: `${name} (step ${index + 1})`,
        value: displayValue(current[name]), expected: type ? expectation(type.kind === "number" && type.format ? "number" : type.kind, type.data_type) : null,
        scope, catalog: ctx.catalog, readonly: !ctx.canSave,
        onChange: (v) => {
            if (v === "") {
                delete current[name];
            } else {
                current[name] = typedConstant(v, type);
            }
            commit({...current});
        },
    });
    if (keys && field.keys_of.startsWith("params_of")) {
        if (!keys.length) {
            box.append(h("p", {class: "wf-help"}, step[field.keys_of.split(":")[1]] ? "This workflow takes no parameters." : "Choose the workflow first."));
        }
        for (const key of keys) {
            box.append(h("div", {class: "wf-map-row"},
                h("label", {class: "wf-map-key", for: fieldId([...path, key.name])}, key.label,
                    h("span", {class: "wf-kind"}, typeLabel(key.type, ctx.catalog)), key.required ? h("span", {class: "wf-required", title: "required"}, " *") : null),
                valueFor(key.name, key.type)));
        }
        return box;
    }
    const names = Object.keys(current);
    names.forEach((name) => {
        const known = keys && keys.find((k) => k.name === name);
        const keyControl = keys
            ? select(fieldId([...path, name, "key"]), keys.map((k) => ({value: k.name, label: `${k.label} (${typeLabel(k.type, ctx.catalog)})`})), name,
                (v) => { const next = {}; for (const [k, val] of Object.entries(current)) { next[k === name ? v : k] = val; } commit(next); ctx.render(); }, {label: "Field"})
            : keyInput(fieldId([...path, name, "key"]), name, (v) => {
                if (!v || v === name || v in current) {
                    return;
                }
                const next = {};
                for (const [k, val] of Object.entries(current)) {
                    next[k === name ? v : k] = val;
                }
                commit(next);
                ctx.render(ctx.focusLater(fieldId([...path, v])));
            });
        const choice = known && known.choices ? select(fieldId([...path, name, "choice"]), known.choices, "", (v) => { if (v) { commit({...current, [name]: v}); ctx.render(); } }, {label: `Set ${name} to`, blank: "set to…"}) : null;
        box.append(h("div", {class: "wf-map-row"}, keyControl, h("span", {class: "wf-eq", "aria-hidden": "true"}, "="),
            valueFor(name, known ? known.type : null), choice,
            ctx.canSave ? h("button", {type: "button", class: "wf-icon-button", "aria-label": `Remove ${name}`, title: "Remove",
                onclick: () => { const next = {...current}; delete next[name]; commit(next); ctx.render(); }}, "×") : null));
    });
    if (ctx.canSave) {
        const unused = keys ? keys.filter((k) => !(k.name in current)) : null;
        if (!keys || unused.length) {
            const add = keys
                ? select(fieldId([...path, "__add"]), unused.map((k) => ({value: k.name, label: `${k.label} (${typeLabel(k.type, ctx.catalog)})${k.required ? " *" : ""}`})), "",
                    (v) => { if (v) { commit({...current, [v]: ""}); ctx.render(ctx.focusLater(fieldId([...path, v]))); } }, {label: `Add a field to ${field.label}`, blank: "+ Set another field"})
                : h("button", {type: "button", class: "button wf-add-key", onclick: () => {
                    let name = "key"; let n = 1; while (name in current) { name = `key${++n}`; }
                    commit({...current, [name]: ""}); ctx.render(ctx.focusLater(fieldId([...path, name, "key"]))); }}, "+ Add a key");
            box.append(h("div", {class: "wf-map-add"}, add));
        }
    }
    return box;
}

function keyInput(id, value, onChange) {
    const input = h("input", {id, class: "vTextField wf-map-keyinput", value, "aria-label": "Key"});
    input.addEventListener("change", () => onChange(input.value.trim()));
    return input;
}

function displayValue(value) {
    if (value === undefined || value === null) {
        return "";
    }
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** A constant typed for a number or yes/no field is stored as a number or yes/no. */
function typedConstant(text, type) {
    const trimmed = text.trim();
    if (type && type.kind === "number" && /^-?\d+(\.\d+)?$/.test(trimmed)) {
        return Number(trimmed);
    }
    if (type && type.kind === "yes_no" && /^(true|false|yes|no)$/i.test(trimmed)) {
        return /^(true|yes)$/i.test(trimmed);
    }
    return text;
}
