/*
 * "Insert dynamic data": value inputs whose dynamic parts are picked, never typed.
 *
 * A value input holds what the definition stores: plain text (a constant), or text with
 * {{ expression }} parts; a condition input holds a bare expression. The "Insert dynamic
 * data" button beside it opens a list of what is in scope at that step (from the server's
 * live check: the same scope the compiler checks against), each entry with its kind, to
 * be opened into what can be read from it (a thing's fields, through its relations) and
 * what can be done with it (format a date, count a list...), and Bubble's "Do a search
 * for", opening into the data types (each a search of it, to narrow by typing its
 * filters). Picking writes the expression at the cursor, braces included where they are
 * needed. Typing works too, with completion from the same lists (Ctrl+Space).
 */
"use strict";

import {h, clear} from "./dom.js";

const LIBS = () => window.BubbleEditorLibs;
const MAX_DEPTH = 3;
/** The kind of the picker's "Do a search for" row: its members are the data types. */
const SEARCHES = {kind: "searches"};

/** Resolves once the scope is up to date (no check of the definition under way): the
 * picker waits for it, so a parameter just added is offered. Set by editor.js. */
let settled = () => Promise.resolve();

export function whenSettled(hook) {
    settled = hook;
}

/* --- what can be read from a value of a kind ---------------------------------------- */

/** The members of a value of ``type`` (a kind as the server writes it). */
export function members(type, catalog) {
    if (!type) {
        return [];
    }
    if (type.kind === "searches") {  // each with its own expression: a search of it
        return Object.values(catalog.data_types).map((dataType) => ({
            name: dataType.label,
            label: capitalized(dataType.plural),
            type: {kind: "list", item: {kind: "thing", data_type: dataType.label}},
            group: "Data types",
            expression: `search('${dataType.label}')`,
        }));
    }
    if (type.kind === "thing" && catalog.data_types[type.data_type]) {
        return catalog.data_types[type.data_type].fields.map((field) => ({
            name: field.name,
            label: field.title || field.name,
            type: field,
            group: "fields",
        }));
    }
    if (type.kind === "object" && type.keys) {
        return Object.entries(type.keys).map(([name, kind]) => ({name, label: name, type: kind, group: "keys"}));
    }
    if (type.kind === "option" && type.keys) {  // its display and attributes
        return Object.entries(type.keys).map(([name, kind]) => ({name, label: name, type: kind, group: "parts"}));
    }
    if (type.kind === "list" && type.item) {
        return [
            {name: "count", label: "count", type: {kind: "number", label: "number"}, group: "parts"},
            {name: "first", label: "first item", type: type.item, group: "parts"},
            {name: "last", label: "last item", type: type.item, group: "parts"},
        ];
    }
    if (type.kind === "date") {
        return ["year", "month", "day", "hour", "minute"].map((name) => ({
            name, label: name, type: {kind: "number", label: "number"}, group: "parts",
        }));
    }
    if (type.kind === "file") {
        return ["url", "name", "size"].map((name) => {
            const kind = name === "size" ? "number" : "text";
            return {name, label: name, type: {kind, label: kind}, group: "parts"};
        });
    }
    return [];
}

/** A kind as a builder names it: "Order", "list of Orders", "text" (not "examples.Order"). */
export function typeLabel(type, catalog) {
    if (!type) {
        return "";
    }
    const dataType = type.data_type && catalog.data_types[type.data_type];
    if (type.kind === "thing" && dataType) {
        return capitalized(dataType.name);
    }
    if (type.kind === "list" && type.item) {
        const itemType = type.item.data_type && catalog.data_types[type.item.data_type];
        return `list of ${itemType ? capitalized(itemType.plural) : typeLabel(type.item, catalog)}`;
    }
    return type.label || type.kind || "";
}

function capitalized(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether a value of ``type`` fits where ``expected`` is wanted (or leads to one that does). */
export function fits(type, expected, catalog, depth = 0) {
    if (!expected || expected.kind === "any" || expected.kind === "text") {
        return true;
    }
    if (!type || type.kind === "any") {
        return true;
    }
    if (type.kind === expected.kind
        && (!expected.data_type || expected.data_type === type.data_type)) {
        return true;
    }
    if (depth >= MAX_DEPTH - 1) {
        return false;
    }
    return members(type, catalog).some((member) => fits(member.type, expected, catalog, depth + 1));
}

/* --- the input --------------------------------------------------------------------- */

/**
 * A value (or condition) input with its "Insert dynamic data" button.
 * options: {id, value, label, multiline, condition, expected, readonly,
 *           scope: () => entries, catalog, onChange(value), extraNames}
 */
export function valueInput(options) {
    const {id, label, multiline, condition, readonly} = options;
    const box = h("div", {class: "wf-value" + (multiline ? " wf-value--multi" : "")});
    const field = h("div", {class: "wf-value-field"});
    box.append(field);
    let control;
    const libs = LIBS();
    if (libs && libs.expressionInput && !readonly) {
        control = libs.expressionInput(field, {
            value: options.value || "",
            multiline: !!multiline,
            placeholder: condition ? "a condition, e.g. pick from Insert dynamic data" : "",
            ariaLabel: label,
            id,
            onChange: (value) => options.onChange(value),
            complete: (context) => complete(context, options),
        });
    } else {
        const element = h(multiline ? "textarea" : "input", {
            id, class: "vTextField wf-plain", rows: multiline ? 4 : null,
            "aria-label": label, readonly: readonly || null,
        });
        element.value = options.value || "";
        element.addEventListener("input", () => options.onChange(element.value));
        field.append(element);
        control = {
            getValue: () => element.value,
            setValue: (v) => { element.value = v; },
            insert: (text) => {
                const start = element.selectionStart ?? element.value.length;
                const end = element.selectionEnd ?? start;
                element.setRangeText(text, start, end, "end");
                options.onChange(element.value);
                element.focus();
            },
            focus: () => element.focus(),
            destroy: () => {},
            element,
        };
    }
    if (!readonly) {
        const button = h("button", {
            type: "button", class: "wf-insert", "aria-haspopup": "listbox", id: id ? `${id}-insert` : null,
            "aria-label": `Insert dynamic data into ${label}`,
            title: "Insert dynamic data",
            onclick: () => openPicker(button, control, options),
        }, "Insert dynamic data");
        box.append(button);
    }
    box.control = control;
    return box;
}

/** What picking ``expression`` writes at the cursor of ``control``. */
function insertion(expression, control, options) {
    if (options.condition || inDynamicPart(control)) {
        return expression;
    }
    return `{{ ${expression} }}`;
}

/** Whether the cursor of ``control`` is inside a {{ }} part. */
function inDynamicPart(control) {
    const before = control.getValue().slice(0, cursorOf(control));
    return before.lastIndexOf("{{") > before.lastIndexOf("}}");
}

function cursorOf(control) {
    if (control.view) {
        return control.view.state.selection.main.head;
    }
    if (control.element) {
        return control.element.selectionStart ?? control.getValue().length;
    }
    return control.getValue().length;
}

/* --- the picker ---------------------------------------------------------------------- */

let openPickerElement = null;

function closePicker(returnFocusTo) {
    if (openPickerElement) {
        openPickerElement.remove();
        openPickerElement = null;
        document.removeEventListener("mousedown", outsideClick, true);
    }
    if (returnFocusTo) {
        returnFocusTo.focus();
    }
}

function outsideClick(event) {
    if (openPickerElement && !openPickerElement.contains(event.target)) {
        closePicker(null);
    }
}

/** The picker's rows for one level: entries of the scope, or members of one value. */
function levelRows(level, options) {
    const {catalog} = options;
    if (!level.parent) {
        const entries = [...(options.scope() || []), ...(options.extraNames || [])];
        const rows = entries.map((entry) => ({
            label: entry.label, group: entry.group, expression: entry.expression,
            type: entry.type, hint: typeLabel(entry.type, catalog),
        }));
        if (Object.keys(catalog.data_types).length) {
            rows.push({label: "Do a search for", group: "Search", expression: "search(…)",
                type: SEARCHES, hint: "a list of things", opensOnly: true});
        }
        return rows;
    }
    const rows = members(level.parent.type, catalog).map((member) => ({
        label: member.label,
        group: member.expression ? member.group : `${level.parent.label}’s ${member.group}`,
        expression: member.expression || `${level.parent.expression}.${member.name}`,
        type: member.type, hint: typeLabel(member.type, catalog), choices: member.type.choices,
    }));
    const operations = catalog.operations[level.parent.type?.kind] || [];
    for (const op of operations) {
        rows.push({
            label: op.label, group: "Do something with it", operation: true,
            expression: op.template.replaceAll("{x}", level.parent.expression),
            hint: op.gives === "item" ? typeLabel(level.parent.type.item, catalog) : op.gives,
        });
    }
    for (const choice of (level.parent.type && level.parent.type.choices) || []) {
        rows.push({
            label: `is ${choice.label}`, group: "Compare", operation: true,
            expression: `${level.parent.expression} == ${JSON.stringify(choice.value).replace(/^"|"$/g, "'")}`,
            hint: "yes / no",
        });
    }
    return rows;
}

/** A level's rows and, under each, what can be read from it (two relations deep): what a
 * search looks through ("email" finds params.order.customer.email). */
function deepRows(level, options, depth = 0) {
    const rows = levelRows(level, options).filter((row) => !row.operation || depth === 0);
    if (depth >= 2) {
        return rows;
    }
    const deeper = [];
    for (const row of rows) {
        if (row.operation || !members(row.type, options.catalog).length) {
            continue;
        }
        for (const inner of deepRows({parent: row}, options, depth + 1)) {
            if (!inner.operation) {
                deeper.push({...inner, label: `${row.label} › ${inner.label}`, group: "Found inside"});
            }
        }
    }
    return [...rows, ...deeper];
}

function openPicker(button, control, options) {
    closePicker(null);
    const levels = [{parent: null}];
    const search = h("input", {
        type: "search", class: "wf-picker-search", placeholder: "Search",
        "aria-label": "Search dynamic data", "aria-controls": "wf-picker-list",
        autocomplete: "off",
    });
    const back = h("button", {type: "button", class: "wf-picker-back", hidden: true}, "‹ Back");
    const title = h("div", {class: "wf-picker-title", id: "wf-picker-title"}, "Insert dynamic data");
    const list = h("ul", {
        class: "wf-picker-list", id: "wf-picker-list", role: "listbox",
        "aria-labelledby": "wf-picker-title", tabindex: "-1",
    });
    const picker = h("div", {class: "wf-picker", role: "dialog", "aria-modal": "false",
        "aria-labelledby": "wf-picker-title"},
        h("div", {class: "wf-picker-head"}, back, title), search, list);
    let rows = [];
    let active = 0;
    // inside a {{ }} part (a search's filter, a sum) the pick is a piece of a bigger
    // expression: the kind the whole value must have does not apply to it
    const expected = options.condition || inDynamicPart(control) ? null : options.expected;

    const render = () => {
        const level = levels[levels.length - 1];
        title.textContent = level.parent ? level.parent.label : "Insert dynamic data";
        back.hidden = !level.parent;
        const query = search.value.trim().toLowerCase();
        rows = (query ? deepRows(level, options) : levelRows(level, options)).filter((row) => {
            if (query && !`${row.label} ${row.expression}`.toLowerCase().includes(query)) {
                return false;
            }
            return row.operation || fits(row.type, expected, options.catalog);
        });
        active = Math.min(active, Math.max(rows.length - 1, 0));
        clear(list);
        let group = null;
        rows.forEach((row, index) => {
            if (row.group !== group) {
                group = row.group;
                list.append(h("li", {class: "wf-picker-group", role: "presentation"}, group));
            }
            const canOpen = !row.operation && (members(row.type, options.catalog).length
                || (options.catalog.operations[row.type?.kind] || []).length);
            list.append(h("li", {
                role: "option", id: `wf-picker-option-${index}`,
                class: "wf-picker-option" + (index === active ? " is-active" : ""),
                "aria-selected": index === active ? "true" : "false",
                onmousedown: (event) => event.preventDefault(),
                onclick: () => pick(index),
            },
            h("span", {class: "wf-picker-label"}, row.label),
            row.hint ? h("span", {class: "wf-picker-kind"}, row.hint) : null,
            h("code", {class: "wf-picker-expr"}, row.expression),
            canOpen ? h("button", {
                type: "button", class: "wf-picker-open", tabindex: "-1",
                "aria-label": `Show what ${row.label} has`,
                onmousedown: (event) => event.preventDefault(),
                onclick: (event) => { event.stopPropagation(); openRow(index); },
            }, "›") : null));
        });
        if (!rows.length) {
            list.append(h("li", {class: "wf-picker-empty", role: "presentation"},
                query ? "Nothing matches." : "Nothing fits here."));
        }
        list.setAttribute("aria-activedescendant", rows.length ? `wf-picker-option-${active}` : "");
        const current = list.querySelector(".is-active");
        if (current && current.scrollIntoView) {
            current.scrollIntoView({block: "nearest"});
        }
    };
    const pick = (index) => {
        const row = rows[index];
        if (!row) {
            return;
        }
        if (row.opensOnly) {  // "Do a search for" is no value itself: it opens
            openRow(index);
            return;
        }
        control.insert(insertion(row.expression, control, options));
        closePicker(null);
        control.focus();
    };
    const openRow = (index) => {
        const row = rows[index];
        if (!row || row.operation) {
            return;
        }
        levels.push({parent: row});
        search.value = "";
        active = 0;
        list.scrollTop = 0;  // a new level starts at its top, its first group's title shown
        render();
        search.focus();
    };
    back.addEventListener("click", () => {
        levels.pop();
        active = 0;
        list.scrollTop = 0;
        render();
        search.focus();
    });
    search.addEventListener("input", () => { active = 0; render(); });
    picker.addEventListener("keydown", (event) => {
        if (event.key === "ArrowDown") {
            active = Math.min(active + 1, rows.length - 1);
            render();
        } else if (event.key === "ArrowUp") {
            active = Math.max(active - 1, 0);
            render();
        } else if (event.key === "Enter") {
            pick(active);
        } else if (event.key === "ArrowRight" && document.activeElement === search
                   && search.selectionStart === search.value.length) {
            openRow(active);
        } else if (event.key === "ArrowLeft" && levels.length > 1
                   && document.activeElement === search && search.selectionStart === 0) {
            back.click();
        } else if (event.key === "Escape") {
            closePicker(button);
        } else if (event.key === "Tab") {
            closePicker(null);
            return;
        } else {
            return;
        }
        event.preventDefault();
        event.stopPropagation();
    });
    button.insertAdjacentElement("afterend", picker);
    openPickerElement = picker;
    document.addEventListener("mousedown", outsideClick, true);
    list.append(h("li", {class: "wf-picker-empty", role: "presentation"}, "…"));
    search.focus();
    settled().then(() => {
        if (openPickerElement === picker) {
            render();
            // all of it on screen (on a phone it opens near the bottom, over the Save row)
            picker.scrollIntoView({block: "nearest"});
        }
    });
}

/* --- completion while typing (CodeMirror's autocompletion calls this) ------------------ */

function complete(context, options) {
    const before = context.state.sliceDoc(0, context.pos);
    if (!options.condition) {
        const open = before.lastIndexOf("{{") > before.lastIndexOf("}}");
        if (!open && !context.explicit) {
            return null;
        }
    }
    const match = /([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)\.?([A-Za-z_]*)$/.exec(before);
    const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
    let base = null;
    let from = context.pos - (word ? word[0].length : 0);
    if (match && before.endsWith(".")) {
        base = match[1];
        from = context.pos;
    } else if (match && match[1].includes(".")) {
        base = match[1].slice(0, match[1].lastIndexOf("."));
    }
    const entries = options.scope() || [];
    let candidates;
    if (!base) {
        const names = new Map();
        for (const entry of entries) {
            const root = entry.expression.split(/[.[]/)[0];
            if (!names.has(root)) {
                names.set(root, entry.group);
            }
        }
        for (const fn of options.catalog.functions) {
            names.set(fn.name + "(", "Functions");
        }
        candidates = [...names].map(([label, group]) => ({label, type: group === "Functions" ? "function" : "variable", detail: group}));
    } else {
        const type = typeOf(base, entries, options.catalog);
        candidates = members(type, options.catalog).map((member) => ({
            label: member.name, type: "property", detail: typeLabel(member.type, options.catalog),
        }));
    }
    if (!context.explicit && !candidates.length) {
        return null;
    }
    return {from, options: candidates, validFor: /^[A-Za-z0-9_]*$/};
}

/** The kind of an expression path such as "params.order.customer", from the scope. */
export function typeOf(path, entries, catalog) {
    const exact = entries.find((entry) => entry.expression === path);
    if (exact) {
        return exact.type;
    }
    if (path === "params" || path === "steps") {
        const keys = {};
        for (const entry of entries) {
            if (entry.expression.startsWith(path + ".")) {
                keys[entry.expression.slice(path.length + 1)] = entry.type;
            }
        }
        return {kind: "object", keys};
    }
    const cut = path.lastIndexOf(".");
    if (cut < 0) {
        return null;
    }
    const parent = typeOf(path.slice(0, cut), entries, catalog);
    const name = path.slice(cut + 1);
    const member = members(parent, catalog).find((m) => m.name === name);
    return member ? member.type : null;
}
