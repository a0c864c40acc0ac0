/*
 * The workflow's trigger, at the top of the editor: its kind and name, only the settings
 * that kind has (an API workflow's exposure and authentication, a trigger's data type and
 * events, a recurring schedule, the error workflow of both), its parameters (as Bubble edits them: key, type, data
 * type, list, optional, querystring for an API workflow, default, description) and its
 * "Only when".
 */
"use strict";

import {h, fieldId, row} from "./dom.js";
import {valueInput} from "./dynamic.js";

function check(id, label, checked, onChange, disabled) {
    const input = h("input", {type: "checkbox", id, checked: !!checked, disabled: disabled || null});
    input.addEventListener("change", () => onChange(input.checked));
    return h("span", {class: "wf-check"}, input, h("label", {for: id, class: "vCheckboxLabel"}, label));
}

function choose(id, choices, value, onChange, {blank, disabled} = {}) {
    const element = h("select", {id, disabled: disabled || null},
        blank !== undefined ? h("option", {value: ""}, blank) : null,
        choices.map((c) => h("option", {value: c.value, selected: String(c.value) === String(value ?? "")}, c.label)));
    element.addEventListener("change", () => onChange(element.value));
    return element;
}

function text(id, value, onChange, attrs = {}) {
    const input = h("input", {id, class: "vTextField", value: value ?? "", ...attrs});
    input.addEventListener("input", () => onChange(input.value));
    return input;
}

export function triggerBox(ctx) {
    const d = ctx.definition;
    const ro = !ctx.canSave;
    const set = (key, value) => ctx.set(d, key, value);
    const box = h("section", {class: "wf-trigger module", "aria-labelledby": "wf-trigger-title"});
    const kindLabel = (ctx.catalog.choices.kind.find((c) => c.value === (d.kind || "api")) || {}).label;
    box.append(h("h2", {id: "wf-trigger-title"}, "When: ", kindLabel || "API workflow"));

    const general = h("div", {class: "wf-grid"},
        row("Name", text(fieldId(["name"]), d.name, (v) => set("name", v.trim()), {
            required: true, readonly: ro || null, placeholder: "process-order", "aria-describedby": "wf-f-name-help",
        }), {id: fieldId(["name"]), help: d.kind === "api" || !d.kind ? "An exposed API workflow answers at /api/1.1/wf/<name>." : "How other workflows name it."}),
        row("Kind", choose(fieldId(["kind"]), ctx.catalog.choices.kind, d.kind || "api",
            (v) => { set("kind", v); ctx.render(); }, {disabled: ro}), {id: fieldId(["kind"])}),
        row("Folder", text(fieldId(["folder"]), d.folder || "", (v) => set("folder", v.trim() || undefined), {
            readonly: ro || null, placeholder: "Orders", maxlength: 100,
        }), {id: fieldId(["folder"]), help: "Groups it with others in the Workflows list, as Bubble's folders do."}),
        row("Time zone", zoneInput(ctx, d, set, ro), {
            id: fieldId(["time_zone"]),
            help: `Its runs show and read dates, and count days, in this zone (Europe/Paris). Empty: the server's (${ctx.catalog.server_time_zone}).`,
        }),
    );
    box.append(general);
    const description = h("textarea", {id: fieldId(["description"]), rows: 2, class: "vLargeTextField", readonly: ro || null});
    description.value = d.description || "";
    description.addEventListener("input", () => set("description", description.value || undefined));
    box.append(row("Description", description, {id: fieldId(["description"])}));

    if ((d.kind || "api") === "api") {
        box.append(apiSettings(ctx, d, set, ro));
    }
    if (d.kind === "trigger") {
        box.append(triggerSettings(ctx, d, set, ro));
    }
    if (d.kind === "custom_event" && d.error_workflow) {
        // refused on a custom event: shown while set, so its problem can be undone
        box.append(errorWorkflowRow(ctx, d, set, ro));
    }
    box.append(parametersTable(ctx, d, ro));
    const conditionId = fieldId(["only_when"]);
    box.append(row("Only when", valueInput({
        id: conditionId, label: "Only when (the whole workflow)", condition: true,
        value: d.only_when || "", readonly: ro,
        scope: () => ctx.scopeAt(0), catalog: ctx.catalog,
        onChange: (v) => set("only_when", v.trim() || undefined),
    }), {id: conditionId, help: conditionHelp(d.kind)}));
    return box;
}

/** An IANA zone name typed in, every zone offered as it is typed (a datalist). */
function zoneInput(ctx, d, set, ro) {
    const listId = "wf-time-zones";
    const input = text(fieldId(["time_zone"]), d.time_zone || "", (v) => set("time_zone", v.trim() || undefined), {
        readonly: ro || null, placeholder: ctx.catalog.server_time_zone, list: listId, autocomplete: "off",
    });
    const options = h("datalist", {id: listId}, ctx.catalog.choices.time_zones.map((name) => h("option", {value: name})));
    return h("span", null, input, options);
}

function apiSettings(ctx, d, set, ro) {
    const box = h("div", {class: "wf-settings"});
    box.append(h("div", {class: "wf-grid"},
        row("Exposed", check(fieldId(["expose"]), "Expose as a public API workflow (/api/1.1/wf/…)", d.expose, (v) => set("expose", v), ro), {id: fieldId(["expose"])}),
        row("Who may run it", choose(fieldId(["auth"]), ctx.catalog.choices.auth, d.auth || "user", (v) => set("auth", v), {disabled: ro}), {id: fieldId(["auth"])}),
    ));
    const more = h("details", {class: "wf-more"}, h("summary", null, "More API settings"),
        h("div", {class: "wf-grid"},
            row("When the condition is not met", choose(fieldId(["condition_not_met"]), ctx.catalog.choices.condition_not_met, d.condition_not_met || 400, (v) => set("condition_not_met", Number(v)), {disabled: ro}), {id: fieldId(["condition_not_met"])}),
            row("Save changes", choose(fieldId(["commit"]), ctx.catalog.choices.commit, d.commit || "together", (v) => set("commit", v === "together" ? undefined : v), {disabled: ro}), {id: fieldId(["commit"])}),
            row("Timeout (seconds)", text(fieldId(["timeout"]), d.timeout ?? 300, (v) => set("timeout", /^\d+$/.test(v) ? Number(v) : v), {type: "number", min: 1, max: 3600, readonly: ro || null}), {id: fieldId(["timeout"])}),
            row("Privacy", check(fieldId(["ignore_privacy"]), "Ignore privacy rules when running the workflow", d.ignore_privacy, (v) => set("ignore_privacy", v), ro), {id: fieldId(["ignore_privacy"])}),
            row("Headers", check(fieldId(["include_headers"]), "Include headers in request data", d.include_headers, (v) => { set("include_headers", v || undefined); ctx.render(); }, ro), {id: fieldId(["include_headers"]), help: "Expressions read them as request.headers['X-Shop'] (credentials and cookies left out)."}),
            row("Retries", text(fieldId(["retries"]), d.retries ?? 0, (v) => set("retries", /^\d+$/.test(v) ? Number(v) || undefined : v), {type: "number", min: 0, max: 10, readonly: ro || null}), {id: fieldId(["retries"]), help: "Scheduled runs that fail are tried again this many times."}),
            errorWorkflowRow(ctx, d, set, ro),
        ),
        webhookForm(ctx, d, set, ro));
    box.append(more);
    box.append(scheduleForm(ctx, d, set, ro));
    return box;
}

/** What a false workflow condition means for this kind of workflow. */
function conditionHelp(kind) {
    if (kind === "trigger") {
        return "When this is false, the change is let through and no step runs (the run log says the condition was not met).";
    }
    if (kind === "custom_event") {
        return "When this is false, no step runs and the calling step gets nothing back.";
    }
    return "When this is false, no step runs (the caller gets CONDITION_NOT_MET).";
}

function webhookForm(ctx, d, set, ro) {
    const hook = d.webhook || null;
    const box = h("fieldset", {class: "wf-subform"}, h("legend", null, "Webhook signature"));
    box.append(check(fieldId(["webhook", "on"]), "Requests must be signed (Stripe, GitHub, Shopify...)", !!hook,
        (on) => { set("webhook", on ? {secret: ctx.catalog.secrets[0] || "", scheme: "stripe"} : undefined); ctx.render(); }, ro));
    if (!hook) {
        return box;
    }
    const update = (key, value) => { const next = {...d.webhook, [key]: value}; if (value === "" || value === undefined) { delete next[key]; } set("webhook", next); };
    box.append(h("div", {class: "wf-grid"},
        row("Scheme", choose(fieldId(["webhook", "scheme"]), [{value: "stripe", label: "Stripe"}, {value: "hmac", label: "HMAC (GitHub, Shopify, Slack...)"}], hook.scheme, (v) => { update("scheme", v); ctx.render(); }, {disabled: ro}), {id: fieldId(["webhook", "scheme"])}),
        row("Secret", choose(fieldId(["webhook", "secret"]), ctx.catalog.secrets.map((s) => ({value: s, label: s})), hook.secret, (v) => update("secret", v), {blank: "Choose a secret", disabled: ro}), {id: fieldId(["webhook", "secret"]), help: "An operator secret (Backend workflows → Secrets)."}),
        hook.scheme === "hmac" ? row("Header", text(fieldId(["webhook", "header"]), hook.header || "", (v) => update("header", v.trim()), {placeholder: "X-Hub-Signature-256", readonly: ro || null}), {id: fieldId(["webhook", "header"])}) : null,
        row("Tolerance (seconds)", text(fieldId(["webhook", "tolerance"]), hook.tolerance ?? 300, (v) => update("tolerance", /^\d+$/.test(v) ? Number(v) : v), {type: "number", min: 1, readonly: ro || null}), {id: fieldId(["webhook", "tolerance"])}),
    ));
    return box;
}

/**
 * [count, unit] of a schedule's `every`, read as the scheduler reads it
 * (scheduler/frequency.py, see docs/scheduler.md): "2 weeks", "every 2 weeks", "week", or
 * one of Bubble's words ("weekly" is 1 week). Anything else shows as 1 day; the check
 * below the form says what is wrong with it.
 */
function everyParts(every, catalog) {
    const text = String(every ?? "1 day").trim().toLowerCase();
    const word = catalog.choices.every_words[text];
    if (word) {
        return ["1", word];
    }
    const units = catalog.choices.every_units.map((u) => u.replace(/s$/, ""));
    const match = /^(?:every\s+)?(\d+)?\s*([a-z]+?)s?$/.exec(text);
    return match && units.includes(match[2]) ? [match[1] || "1", match[2]] : ["1", "day"];
}

function scheduleForm(ctx, d, set, ro) {
    const schedule = d.schedule || null;
    const box = h("fieldset", {class: "wf-subform"}, h("legend", null, "Recurring schedule"));
    box.append(check(fieldId(["schedule", "on"]), "Runs by itself on a schedule", !!schedule,
        (on) => { set("schedule", on ? {every: "1 day"} : undefined); ctx.render(); }, ro));
    if (!schedule) {
        return box;
    }
    const mode = "cron" in schedule ? "cron" : "every";
    const [count, unit] = everyParts(schedule.every, ctx.catalog);
    const update = (next) => { set("schedule", next); };
    const modeSelect = choose(fieldId(["schedule", "mode"]), [{value: "every", label: "Every N minutes, hours, days…"}, {value: "cron", label: "A cron expression"}], mode,
        (v) => { update(v === "cron" ? {cron: "0 9 * * *"} : {every: "1 day"}); ctx.render(); }, {disabled: ro});
    box.append(row("Repeat", modeSelect, {id: fieldId(["schedule", "mode"])}));
    if (mode === "every") {
        const n = text(fieldId(["schedule", "count"]), count, (v) => update({...schedule, every: `${v.trim() || 1} ${unitSelect.value}`}), {type: "number", min: 1, readonly: ro || null, "aria-label": "Every how many"});
        const unitSelect = choose(fieldId(["schedule", "unit"]), ctx.catalog.choices.every_units.map((u) => ({value: u.replace(/s$/, ""), label: u})), unit,
            (v) => update({...schedule, every: `${n.value || 1} ${v}`}), {disabled: ro});
        unitSelect.setAttribute("aria-label", "Unit");
        box.append(row("Every", h("span", {class: "wf-inline"}, n, unitSelect), {id: fieldId(["schedule", "count"])}));
    } else {
        box.append(row("Cron", text(fieldId(["schedule", "cron"]), schedule.cron, (v) => update({...schedule, cron: v}), {placeholder: "0 9 * * 1  (minute hour day month weekday)", readonly: ro || null}),
            {id: fieldId(["schedule", "cron"]), help: "Minute, hour, day of month, month, day of week — in the server's time zone."}));
    }
    box.append(h("div", {class: "wf-grid"},
        row("Starting", text(fieldId(["schedule", "start"]), schedule.start || "", (v) => update({...schedule, start: v.trim() || undefined}), {placeholder: "2026-12-24T09:00:00Z (empty: now)", readonly: ro || null}), {id: fieldId(["schedule", "start"])}),
        row("Ending", text(fieldId(["schedule", "end"]), schedule.end || "", (v) => update({...schedule, end: v.trim() || undefined}), {placeholder: "empty: never", readonly: ro || null}), {id: fieldId(["schedule", "end"])}),
    ));
    box.append(h("div", {class: "wf-next", id: "wf-schedule-next", "aria-live": "polite"}));
    return box;
}

function triggerSettings(ctx, d, set, ro) {
    const box = h("div", {class: "wf-settings"});
    const on = new Set(Array.isArray(d.on) ? d.on : d.on ? [d.on] : []);
    box.append(row("Data type", choose(fieldId(["data_type"]), Object.keys(ctx.catalog.data_types).map((dt) => ({value: dt, label: `${ctx.catalog.data_types[dt].name} (${dt})`})), d.data_type,
        (v) => { set("data_type", v); ctx.trial.things = {}; ctx.trial.thingLabels = {}; ctx.render(); }, {blank: "Choose the data type watched", disabled: ro}), {id: fieldId(["data_type"])}));
    const events = h("div", {class: "wf-checks", role: "group", "aria-label": "Runs when a thing is"},
        ctx.catalog.choices.trigger_on.map((c) => check(fieldId(["on", c.value]), c.label, on.has(c.value), (checked) => {
            if (checked) { on.add(c.value); } else { on.delete(c.value); }
            set("on", ctx.catalog.choices.trigger_on.map((x) => x.value).filter((x) => on.has(x)));
        }, ro)));
    box.append(row("Runs when a thing is", events, {id: fieldId(["on"]), help: "thing is the thing after the change, thing_before before it."}));
    box.append(errorWorkflowRow(ctx, d, set, ro));
    return box;
}

/**
 * The workflow run when a run of this one fails for good (after its retries): an API
 * workflow other than this one (the live check says which can take the failure).
 */
function errorWorkflowRow(ctx, d, set, ro) {
    const choices = ctx.catalog.workflows
        .filter((w) => w.kind === "api" && w.name !== d.name)
        .map((w) => ({value: w.name, label: w.name}));
    if (d.error_workflow && !choices.some((c) => c.value === d.error_workflow)) {
        choices.push({value: d.error_workflow, label: `${d.error_workflow} (not an API workflow here)`});
    }
    return row("Error workflow", choose(fieldId(["error_workflow"]), choices, d.error_workflow || "",
        (v) => set("error_workflow", v || undefined), {blank: "None", disabled: ro}),
    {id: fieldId(["error_workflow"]), help: "Runs when a run of this workflow fails for good, with run_id, workflow, error_code, error_message and step."});
}

/** Bubble's "Querystring": the parameter is read from the URL, never the request body. */
function querystringCheck(id, p, set, ro) {
    const box = check(id, "querystring", p.querystring, (v) => set("querystring", v || undefined), ro);
    box.title = "Read from the URL's query string (?key=value) instead of the request body";
    return box;
}

function parametersTable(ctx, d, ro) {
    const params = d.parameters = Array.isArray(d.parameters) ? d.parameters : [];
    const isApi = (d.kind || "api") === "api";
    const box = h("fieldset", {class: "wf-params"}, h("legend", null, "Parameters"));
    if (!params.length) {
        box.append(h("p", {class: "wf-help"}, "This workflow takes no parameters."));
    }
    const table = h("div", {class: "wf-param-list", role: "list"});
    params.forEach((p, i) => {
        const path = ["parameters", i];
        const type = ctx.catalog.parameter_types.find((t) => t.name === (p.type || "text"));
        const set = (key, value) => ctx.set(p, key, value);
        const item = h("div", {class: "wf-param", role: "listitem"},
            h("span", {class: "wf-param-field"}, h("label", {for: fieldId([...path, "key"])}, "Key"),
                text(fieldId([...path, "key"]), p.key, (v) => set("key", v.trim()), {readonly: ro || null, class: "vTextField wf-param-key"})),
            h("span", {class: "wf-param-field"}, h("label", {for: fieldId([...path, "type"])}, "Type"),
                choose(fieldId([...path, "type"]), ctx.catalog.parameter_types.map((t) => ({value: t.name, label: t.label})), p.type || "text",
                    (v) => { set("type", v); if (!ctx.catalog.parameter_types.find((t) => t.name === v).needs_data_type) { delete p.data_type; } ctx.render(); }, {disabled: ro})),
            type && type.needs_data_type ? h("span", {class: "wf-param-field"}, h("label", {for: fieldId([...path, "data_type"])}, "Data type"),
                choose(fieldId([...path, "data_type"]), Object.keys(ctx.catalog.data_types).map((dt) => ({value: dt, label: dt})), p.data_type, (v) => set("data_type", v), {blank: "Choose", disabled: ro})) : null,
            check(fieldId([...path, "list"]), "list", p.list, (v) => set("list", v || undefined), ro),
            check(fieldId([...path, "optional"]), "optional", p.optional, (v) => set("optional", v || undefined), ro),
            check(fieldId([...path, "secret"]), "secret", p.secret, (v) => set("secret", v || undefined), ro),
            // API workflows only (shown on any other while ticked, so its problem can be undone)
            isApi || p.querystring ? querystringCheck(fieldId([...path, "querystring"]), p, set, ro) : null,
            h("span", {class: "wf-param-field"}, h("label", {for: fieldId([...path, "default"])}, "Default"),
                text(fieldId([...path, "default"]), p.default ?? "", (v) => set("default", v === "" ? undefined : v), {readonly: ro || null, class: "vTextField wf-param-default"})),
            h("span", {class: "wf-param-field wf-param-desc"}, h("label", {for: fieldId([...path, "description"])}, "Description"),
                text(fieldId([...path, "description"]), p.description ?? "", (v) => set("description", v || undefined), {readonly: ro || null})),
            ro ? null : h("button", {type: "button", class: "wf-icon-button", "aria-label": `Remove parameter ${p.key || i + 1}`, title: "Remove",
                onclick: () => { params.splice(i, 1); ctx.changed(); ctx.render(); }}, "×"),
            h("div", {class: "wf-error", id: fieldId(path) + "-error", role: "alert"}),
        );
        table.append(item);
    });
    box.append(table);
    if (!ro) {
        box.append(h("button", {type: "button", class: "button wf-add-param", onclick: () => {
            params.push({key: "", type: "text"});
            ctx.changed();
            ctx.render(ctx.focusLater(fieldId(["parameters", params.length - 1, "key"])));
        }}, "+ Add a parameter"));
    }
    return box;
}
