/*
 * "Test run": the workflow as edited, run by the real engine on the server in a
 * transaction rolled back at the end; emails and calls to other servers are recorded, not
 * sent, unless "really send" is ticked. Parameters of things are searched by their name,
 * and so are a database trigger's thing and thing_before (the change to try it on).
 * The result shows each step's condition, inputs and output readably; each step's card and
 * each value input then show what they were in this run.
 */
"use strict";

import {h, clear, fieldId} from "./dom.js";
import {getJSON, postJSON} from "./api.js";
import {typeLabel} from "./dynamic.js";

const LONG_TEXT = 160;
const LIST_ROWS = 10;

/** A value as people read it: a thing as its name (a link), a list as a short table. */
export function renderValue(value, depth = 0) {
    if (value === null || value === undefined || value === "") {
        return h("span", {class: "wf-empty"}, "empty");
    }
    if (typeof value === "string") {
        if (value.length <= LONG_TEXT && !value.includes("\n")) {
            return h("span", {class: "wf-text"}, value);
        }
        return h("details", {class: "wf-long"}, h("summary", null, value.slice(0, 60).replace(/\n/g, " ") + "…"),
            h("pre", {class: "wf-json"}, value));
    }
    if (typeof value !== "object") {
        return h("span", {class: "wf-scalar"}, String(value));
    }
    if (!Array.isArray(value) && "_type" in value && "_id" in value) {
        const label = value._display || `${value._type} ${value._id}`;
        return value._url ? h("a", {href: value._url, target: "_blank", rel: "noopener"}, label) : h("span", null, label);
    }
    if (depth > 3) {
        return h("code", null, JSON.stringify(value).slice(0, 200));
    }
    if (Array.isArray(value)) {
        if (!value.length) {
            return h("span", {class: "wf-empty"}, "empty list");
        }
        const rows = value.slice(0, LIST_ROWS).map((item) => h("li", null, renderValue(item, depth + 1)));
        return h("div", {class: "wf-list-value"}, h("ol", null, rows),
            value.length > LIST_ROWS ? h("p", {class: "wf-help"}, `… ${value.length - LIST_ROWS} more`) : null);
    }
    return h("dl", {class: "wf-object"}, Object.entries(value).flatMap(([key, item]) => [
        h("dt", null, key), h("dd", null, renderValue(item, depth + 1))]));
}

export function trialPanel(ctx) {
    const panel = h("details", {class: "wf-trial module", id: "wf-trial", open: ctx.trial.open || null},
        h("summary", null, h("h2", {class: "wf-inline-title"}, "Test run")));
    panel.addEventListener("toggle", () => { ctx.trial.open = panel.open; });
    if (!ctx.canRun) {
        panel.append(h("p", {class: "wf-help"}, "You may not run workflows from the admin."));
        return panel;
    }
    panel.append(h("p", {class: "wf-help"},
        "Runs the workflow as it is here (unsaved changes included) with these parameters, then undoes everything it changed. Emails and calls to other servers are shown, not sent."));
    const form = h("div", {class: "wf-trial-params"});
    const params = ctx.definition.parameters || [];
    const trigger = ctx.definition.kind === "trigger" && ctx.definition.data_type;
    if (trigger) {
        form.append(...triggerInputs(ctx, ctx.definition.data_type));
    } else if (!params.length) {
        form.append(h("p", {class: "wf-help"}, "This workflow takes no parameters."));
    }
    for (const p of params) {
        if (p.key) {
            form.append(paramInput(ctx, p));
        }
    }
    panel.append(form);
    const send = h("input", {type: "checkbox", id: "wf-trial-send", checked: !!ctx.trial.send});
    send.addEventListener("change", () => { ctx.trial.send = send.checked; });
    const result = h("div", {class: "wf-trial-result", id: "wf-trial-result", "aria-live": "polite"});
    const run = h("button", {type: "button", class: "button default wf-trial-run", id: "wf-trial-run", onclick: async () => {
        run.disabled = true;
        clear(result).append(h("p", null, "Running…"));
        try {
            ctx.trial.result = await postJSON(ctx.urls.test_run, {definition: ctx.definition, params: ctx.trial.params,
                things: trigger ? ctx.trial.things : undefined, send: send.checked});
        } catch (error) {
            ctx.trial.result = {status: "error", error: {message: `The test run could not be made: ${error.message}`}, steps: []};
        }
        run.disabled = false;
        ctx.trial.open = true;
        ctx.render(ctx.focusLater("wf-trial-status"));
    }}, "Test run");
    panel.append(h("div", {class: "wf-trial-actions"}, run,
        h("span", {class: "wf-check"}, send, h("label", {for: "wf-trial-send", class: "vCheckboxLabel"}, "Really send the emails and calls (the data is still not changed)"))));
    panel.append(result);
    if (ctx.trial.result) {
        showResult(ctx, result, ctx.trial.result);
    }
    return panel;
}

function paramInput(ctx, p) {
    const id = fieldId(["trial", p.key]);
    const values = ctx.trial.params;
    const type = ctx.catalog.parameter_types.find((t) => t.name === (p.type || "text")) || {};
    const label = h("label", {for: id}, p.key, h("span", {class: "wf-kind"}, p.data_type ? typeLabel({kind: "thing", data_type: p.data_type}, ctx.catalog) : type.label || p.type),
        !p.optional && p.default === undefined ? h("span", {class: "wf-required"}, " *") : null);
    let control;
    if (type.needs_data_type) {
        control = thingSearch(ctx, id, p, values);
    } else if (p.list) {
        control = h("textarea", {id, rows: 3, placeholder: "one value per line"});
        control.value = (values[p.key] || []).join("\n");
        control.addEventListener("input", () => { values[p.key] = control.value.split("\n").map((s) => s.trim()).filter(Boolean); });
    } else if (p.type === "yes_no") {
        control = h("select", {id}, ["", "yes", "no"].map((v) => h("option", {value: v, selected: values[p.key] === (v === "yes") && v !== "" || null}, v || "—")));
        control.addEventListener("change", () => { values[p.key] = control.value === "" ? undefined : control.value === "yes"; });
    } else {
        control = h("input", {id, class: "vTextField", type: p.type === "number" ? "number" : "text",
            placeholder: p.type === "date" ? "2026-12-24T09:00:00Z" : p.type === "file" ? "https://…" : ""});
        control.value = values[p.key] ?? "";
        control.addEventListener("input", () => { values[p.key] = control.value === "" ? undefined : control.value; });
    }
    return h("div", {class: "wf-row"}, label, h("div", {class: "wf-control"}, control));
}

/** A trigger's thing and thing_before, each searched by name; either may stay empty (a
 * thing deleted, a thing just created), as in the runs a change starts. */
function triggerInputs(ctx, dataType) {
    const things = ctx.trial.things;
    const labels = ctx.trial.thingLabels;
    return [
        ["thing", "the thing after the change (empty: it was deleted)"],
        ["thing_before", "the same thing before it (empty: it was just created)"],
    ].map(([key, help]) => {
        const id = fieldId(["trial", "trigger", key]);
        return h("div", {class: "wf-row"},
            h("label", {for: id}, key, h("span", {class: "wf-kind"}, typeLabel({kind: "thing", data_type: dataType}, ctx.catalog))),
            h("div", {class: "wf-control"}, thingSearch(ctx, id, {key, data_type: dataType}, things, labels),
                h("div", {class: "wf-help"}, help)));
    });
}

/** A thing parameter: typed as a name, searched on the server, kept as the thing's id. */
function thingSearch(ctx, id, p, values, labels = ctx.trial.labels) {
    const chosen = labels[p.key];
    const input = h("input", {id, class: "vTextField", type: "search", autocomplete: "off",
        role: "combobox", "aria-expanded": "false", "aria-controls": `${id}-results`,
        placeholder: chosen ? `${chosen} (type to change)` : `Search ${p.data_type} by name or id`});
    const results = h("ul", {id: `${id}-results`, class: "wf-thing-results", role: "listbox", hidden: true});
    const picked = h("div", {class: "wf-help", id: `${id}-picked`}, chosen ? `Chosen: ${chosen}` : "");
    let timer = null;
    const choose = (thing) => {
        values[p.key] = p.list ? [...(values[p.key] || []), thing.id] : thing.id;
        labels[p.key] = p.list ? [labels[p.key], thing.label].filter(Boolean).join(", ") : thing.label;
        picked.textContent = `Chosen: ${labels[p.key]}`;
        input.value = "";
        results.hidden = true;
        input.setAttribute("aria-expanded", "false");
    };
    const search = async () => {
        const answer = await getJSON(ctx.urls.things, {data_type: p.data_type, q: input.value});
        clear(results);
        (answer.results || []).forEach((thing, index) => results.append(h("li", {
            role: "option", id: `${id}-option-${index}`, class: "wf-thing-option", tabindex: "-1",
            onmousedown: (event) => event.preventDefault(), onclick: () => choose(thing),
            onkeydown: (event) => { if (event.key === "Enter") { event.preventDefault(); choose(thing); } },
        }, thing.label, h("span", {class: "wf-kind"}, `#${thing.id}`))));
        if (!(answer.results || []).length) {
            results.append(h("li", {class: "wf-picker-empty"}, "No match."));
        }
        results.hidden = false;
        input.setAttribute("aria-expanded", "true");
        // on a short screen the list may open under the Save row: brought above it (the
        // page's scroll-padding-bottom keeps the row's height free)
        results.scrollIntoView({block: "nearest"});
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
    input.addEventListener("focus", () => { if (!input.value) { search(); } });
    input.addEventListener("keydown", (event) => {
        if (event.key === "ArrowDown") {
            const first = results.querySelector("[role=option]");
            if (first) { event.preventDefault(); first.focus(); }
        } else if (event.key === "Escape") {
            results.hidden = true;
        }
    });
    results.addEventListener("keydown", (event) => {
        const options = [...results.querySelectorAll("[role=option]")];
        const at = options.indexOf(document.activeElement);
        if (event.key === "ArrowDown" && at < options.length - 1) { event.preventDefault(); options[at + 1].focus(); }
        if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? options[at - 1] : input).focus(); }
        if (event.key === "Escape") { results.hidden = true; input.focus(); }
    });
    return h("div", {class: "wf-thing-search"}, input, results, picked);
}

function showResult(ctx, box, result) {
    clear(box);
    const ok = result.status === "succeeded" || result.status === "condition_not_met";
    box.append(h("p", {class: ok ? "wf-trial-ok" : "errornote", id: "wf-trial-status", tabindex: "-1"},
        `Test run: ${result.status.replace(/_/g, " ")}`,
        result.duration_ms ? ` in ${Math.round(result.duration_ms)} ms` : "",
        result.error ? ` — ${result.error.message}` : "",
        " (nothing was saved)"));
    if (result.issues) {
        box.append(h("p", null, "Fix the problems listed at the top first."));
        return;
    }
    if (result.response !== undefined && result.response !== null) {
        box.append(h("h3", null, "Returned data"), renderValue(result.response));
    }
    const outbox = result.outbox || {};
    if ((outbox.emails || []).length || (outbox.requests || []).length) {
        box.append(h("h3", null, outbox.sent ? "Sent" : "Not sent (recorded)"));
        for (const email of outbox.emails || []) {
            box.append(h("div", {class: "wf-outbox"}, h("strong", null, "Email "), `to ${(email.to || []).join(", ")}: `, email.subject,
                h("details", null, h("summary", null, "Body"), h("pre", {class: "wf-json"}, email.body || ""))));
        }
        for (const request of outbox.requests || []) {
            box.append(h("div", {class: "wf-outbox"}, h("strong", null, `${request.method} `), request.url));
        }
    }
    if ((result.steps || []).length) {
        box.append(h("h3", null, "Steps"));
        const list = h("ol", {class: "wf-trial-steps"});
        for (const step of result.steps) {
            const action = ctx.action(step.type);
            list.append(h("li", {class: `wf-trial-step is-${step.status}`},
                h("div", {class: "wf-trial-step-head"}, h("strong", null, `Step ${step.number}`), ` ${action ? action.label : step.type}`,
                    h("span", {class: "wf-status"}, step.status.replace(/_/g, " ")),
                    step.condition_result === false ? h("span", {class: "wf-help"}, " (“only when” was false)") : null),
                step.error ? h("p", {class: "errornote"}, step.error) : null,
                step.inputs ? h("details", {class: "wf-io"}, h("summary", null, "Inputs"), renderValue(step.inputs)) : null,
                step.output !== null && step.output !== undefined ? h("div", {class: "wf-io"}, h("span", {class: "wf-io-label"}, "Result: "), renderValue(step.output)) : null,
                h("details", {class: "wf-raw"}, h("summary", null, "Raw JSON"), h("pre", {class: "wf-json"}, JSON.stringify({inputs: step.inputs, output: step.output}, null, 2)))));
        }
        box.append(list);
    }
}
