/*
 * The workflow editor (templates/admin/workflows/workflow/editor.html): the page's state —
 * the definition being edited, in the format of docs/workflow-format.md — and what keeps
 * it checked: after each change the server checks the whole definition (the same compile
 * a save runs) and answers every problem, each step's summary, and what is in scope at
 * each step. Saving sends the definition whole.
 *
 * Modules: trigger.js (the trigger box), steps.js (the cards), properties.js (a step's
 * inputs), dynamic.js ("Insert dynamic data"), trial.js (test runs), dom.js, api.js.
 */
"use strict";

import {h, clear, debounce, fieldId} from "./dom.js";
import {postJSON} from "./api.js";
import {triggerBox} from "./trigger.js";
import {stepCard, stepsList, withChips} from "./steps.js";
import {trialPanel, renderValue} from "./trial.js";
import {keysSignature} from "./properties.js";
import {typeOf, whenSettled} from "./dynamic.js";

const CHECK_DELAY_MS = 350;

function start() {
    const data = JSON.parse(document.getElementById("wf-editor-data").textContent);
    const root = document.getElementById("wf-editor");
    const form = document.getElementById("workflow-form");
    const textArea = document.getElementById("wf-definition-text");
    const textView = document.getElementById("wf-text-view");
    const announcer = h("div", {class: "visually-hidden", role: "status", "aria-live": "polite"});
    document.body.append(announcer);

    const ctx = {
        definition: data.definition,
        catalog: data.catalog,
        urls: data.urls,
        canSave: data.can_save,
        canRun: !!data.can_run,
        issues: data.issues || [],
        check: {steps: [], scopes: []},
        selected: null,
        trial: {params: {}, labels: {}, things: {}, thingLabels: {}, result: null, open: false, send: false},
        textDirty: false,
        // a blank new workflow lists what saving needs without marking it as errors until
        // the builder changes something (a refused save comes back with its issues: marked)
        quiet: !(data.definition && data.definition.name) && !(data.issues || []).length,
        checking: 0,
        action: (name) => data.catalog.actions.find((a) => a.name === name),
        scopeAt: (index) => (ctx.check.scopes && ctx.check.scopes[index]) || [],
        kindOf: (raw, index) => kindOfValue(raw, ctx.scopeAt(index), ctx.catalog),
        issuesOfStep: (number) => ctx.issues.filter((issue) => issue.step === number),
        trialStep: (number) => {
            const result = ctx.trial.result;
            return result && (result.steps || []).find((step) => step.number === number);
        },
        preview: (index, key) => {
            const step = ctx.trialStep(index + 1);
            if (!step || !step.inputs || !(key in step.inputs)) {
                return null;
            }
            return h("div", {class: "wf-preview"}, h("span", {class: "wf-preview-label"}, "In the last test run: "),
                renderValue(step.inputs[key]));
        },
        set: (target, key, value) => {
            if (value === undefined || value === null || value === "") {
                delete target[key];
            } else {
                target[key] = value;
            }
            ctx.changed();
        },
        changed: () => {
            ctx.dirty = true;
            ctx.quiet = false;
            if (!settle) {
                settledPromise = new Promise((resolve) => { settle = resolve; });
            }
            scheduleCheck();
        },
        select: (index) => {
            const before = ctx.selected;
            ctx.selected = index;
            // only the cards that open or close are rebuilt: rebuilding every card and the
            // trigger's inputs made a click grow with the steps (docs/performance.md,
            // "Workflow editor")
            const cards = [...new Set([before, index])].filter((i) => i !== null);
            render(index === null ? null : focusLater(`wf-card-${index}`), null, cards);
        },
        focusLater,
        render: (...args) => render(...args),
    };

    function focusLater(id) {
        return () => {
            const element = document.getElementById(id);
            if (element) {
                const target = element.matches("input, select, textarea, button, [tabindex]")
                    ? element : element.querySelector("input, select, textarea, [contenteditable=true], button");
                (target || element).focus();
            }
        };
    }

    let rendering = false;
    let renderAgain = null;

    /** Rebuild the editor from ctx, or only the step cards at ``cards`` (indices) when
     * nothing else changed. The focused input is blurred first, so its change handler
     * (which may ask for another render) runs while it is still on the page; a render
     * asked for meanwhile runs right after this one, whole. Focus then goes where
     * ``after`` puts it or, without one, back to the rebuilt element that had it: a
     * keyboard user choosing in a dropdown with the arrow keys, or closing a step, keeps
     * their place instead of starting again from the top of the page. */
    function render(after, announcement, cards) {
        if (rendering) {
            renderAgain = [after, announcement];
            return;
        }
        rendering = true;
        try {
            const active = document.activeElement;
            let then = after;
            if (active && root.contains(active)) {
                if (typeof then !== "function" && active.id) {
                    then = focusLater(active.id);
                }
                active.blur();
            }
            if (cards && !renderAgain) {
                renderCardsNow(cards, then, announcement);
            } else {
                renderNow(then, announcement);
            }
        } finally {
            rendering = false;
        }
        if (renderAgain) {
            const [again, againAnnouncement] = renderAgain;
            renderAgain = null;
            render(again || after, againAnnouncement);
        }
    }

    function renderNow(after, announcement) {
        const scrollY = window.scrollY;
        root.replaceChildren(
            issuesPanel(ctx),
            h("div", {class: "wf-layout"},
                h("div", {class: "wf-main"}, triggerBox(ctx), stepsList(ctx)),
                h("div", {class: "wf-aside"}, trialPanel(ctx))),
        );
        rendered(scrollY, after, announcement);
    }

    function renderCardsNow(indices, after, announcement) {
        const list = document.getElementById("wf-step-list");
        const old = indices.map((index) => list && list.querySelector(`:scope > .wf-card[data-index="${index}"]`));
        if (old.some((card) => !card)) {
            renderNow(after, announcement);
            return;
        }
        const scrollY = window.scrollY;
        old.forEach((card, i) => card.replaceWith(stepCard(ctx, indices[i])));
        rendered(scrollY, after, announcement);
    }

    /** What follows every render, whole or of some cards. */
    function rendered(scrollY, after, announcement) {
        markIssues(ctx);
        showSchedule(ctx);
        ctx.renderedKeys = ctx.selected === null ? "" : keysSignature(ctx, ctx.selected);
        window.scrollTo(0, scrollY);
        root.dataset.ready = "true";
        if (typeof after === "function") {
            after();
        }
        if (announcement) {
            announcer.textContent = announcement;
        }
    }

    let settle = null;
    let settledPromise = Promise.resolve();
    whenSettled(() => settledPromise);
    const runCheck = async () => {
        const asked = ++ctx.checking;
        root.dataset.checking = "true";
        let answer;
        try {
            answer = await postJSON(ctx.urls.check, {definition: ctx.definition});
        } catch (error) {
            if (settle) {
                settle();  // the picker offers what it has rather than waiting forever
                settle = null;
            }
            return;
        } finally {
            if (asked === ctx.checking) {
                root.dataset.checking = "false";
            }
        }
        if (asked !== ctx.checking) {
            return;  // a newer check is under way
        }
        ctx.issues = answer.issues || [];
        ctx.check = answer;
        if (!ctx.textDirty && answer.text !== undefined) {
            textArea.value = answer.text;
        }
        refreshAfterCheck();
        if (settle) {
            settle();
            settle = null;
        }
    };
    const scheduleCheck = debounce(runCheck, CHECK_DELAY_MS);

    /** After a check: summaries, problem marks, scopes — without rebuilding the inputs (the
     * builder may be typing in one). */
    function refreshAfterCheck() {
        if (ctx.selected !== null && keysSignature(ctx, ctx.selected) !== ctx.renderedKeys) {
            // what the step's mappings offer changed (its thing or workflow was just chosen)
            const active = document.activeElement && document.activeElement.id;
            render(active ? focusLater(active) : null);
            return;
        }
        const panel = root.querySelector(".wf-issues");
        if (panel) {
            panel.replaceWith(issuesPanel(ctx));
        }
        (ctx.check.steps || []).forEach((info, index) => {
            const card = document.getElementById(`wf-card-${index}`);
            if (!card) {
                return;
            }
            const summary = card.querySelector(".wf-card-summary");
            if (summary && info) {
                clear(summary).append(...withChips(info.summary));
            }
            const problems = ctx.issuesOfStep(index + 1);
            let badge = card.querySelector(".wf-badge");
            if (problems.length) {
                if (!badge) {
                    badge = h("span", {class: "wf-badge"});
                    card.querySelector(".wf-card-summary").after(badge);
                }
                badge.textContent = `${problems.length} problem${problems.length > 1 ? "s" : ""}`;
                badge.title = problems.map((p) => p.message).join("\n");
            } else if (badge) {
                badge.remove();
            }
            card.closest(".wf-card").classList.toggle("has-problems", problems.length > 0);
        });
        markIssues(ctx);
        showSchedule(ctx);
        root.dataset.checked = String(Date.now());
    }

    // the text view: edit the YAML by hand, read back through the server
    textArea.addEventListener("input", () => { ctx.textDirty = true; });
    const applyText = h("button", {type: "button", class: "button", id: "wf-apply-text", onclick: async () => {
        const answer = await postJSON(ctx.urls.check, {text: textArea.value});
        if (answer.definition) {
            ctx.definition = answer.definition;
            ctx.textDirty = false;
            ctx.issues = answer.issues || [];
            ctx.check = answer;
            ctx.dirty = true;
            render(null, "The definition text was read into the editor.");
        } else {
            ctx.issues = answer.issues || [];
            refreshAfterCheck();
        }
    }}, "Read this text into the editor");
    if (ctx.canSave) {
        textView.append(applyText);
    }
    textView.open = false;

    form.addEventListener("submit", () => {
        document.getElementById("wf-mode").value = ctx.textDirty ? "text" : "editor";
        document.getElementById("wf-definition").value = JSON.stringify(ctx.definition);
        ctx.dirty = false;
    });
    window.addEventListener("beforeunload", (event) => {
        if (ctx.dirty && ctx.canSave) {
            event.preventDefault();
        }
    });

    render();
    runCheck();
}

/** The kind of a raw config value (``{{ params.order }}``) at a step, from its scope. */
function kindOfValue(raw, scope, catalog) {
    if (typeof raw !== "string") {
        return null;
    }
    const match = /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}\s*$/.exec(raw);
    return match ? typeOf(match[1], scope, catalog) : null;
}

/* --- problems: a summary at the top, each field marked where it is -------------------- */

function issuesPanel(ctx) {
    const issues = ctx.issues;
    const panel = h("div", {class: "wf-issues" + (issues.length ? " has-issues" : ""), id: "wf-issues", role: "region", "aria-label": "Problems"});
    if (!issues.length) {
        panel.append(h("p", {class: "wf-issues-ok"}, "✓ No problems found."));
        return panel;
    }
    if (ctx.quiet) {
        panel.classList.remove("has-issues");
        panel.append(h("p", {class: "wf-issues-title wf-todo"}, "Before it can be saved:"));
    } else {
        panel.append(h("p", {class: "wf-issues-title"}, `${issues.length} problem${issues.length > 1 ? "s" : ""} to fix before saving:`));
    }
    const list = h("ul", null);
    for (const issue of issues) {
        const where = issue.step ? `Step ${issue.step}${issue.field ? ", " + issue.field.replace(/\./g, " › ") : ""}` : issue.where || "Workflow";
        list.append(h("li", null, h("button", {type: "button", class: "wf-issue-link", onclick: () => goTo(ctx, issue)},
            h("strong", null, where), ": ", issue.message)));
    }
    panel.append(list);
    return panel;
}

function goTo(ctx, issue) {
    const focus = () => {
        const element = findField(issue.path);
        if (element) {
            element.scrollIntoView({block: "center"});
            const target = element.matches("input, select, textarea, button")
                ? element : element.querySelector("input, select, textarea, [contenteditable=true]");
            (target || element).focus();
        }
    };
    if (issue.step && ctx.selected !== issue.step - 1) {
        ctx.selected = issue.step - 1;
        ctx.render(focus);
    } else {
        focus();
    }
}

/** The element of a definition path, or of its nearest parent that has one. */
function findField(path) {
    for (let end = path.length; end > 0; end -= 1) {
        const element = document.getElementById(fieldId(path.slice(0, end)));
        if (element) {
            return element;
        }
        if (path[0] === "actions" && end === 2) {
            return document.getElementById(`wf-card-${path[1]}`);
        }
    }
    return null;
}

function markIssues(ctx) {
    document.querySelectorAll(".wf-error").forEach((element) => { element.textContent = ""; });
    document.querySelectorAll("[aria-invalid=true]").forEach((element) => element.removeAttribute("aria-invalid"));
    document.querySelectorAll(".wf-row.has-error").forEach((element) => element.classList.remove("has-error"));
    for (const issue of ctx.quiet ? [] : ctx.issues) {
        const element = findField(issue.path);
        if (!element || element.id.startsWith("wf-card-")) {
            continue;
        }
        element.setAttribute("aria-invalid", "true");
        const slot = document.getElementById(`${element.id}-error`)
            || element.closest(".wf-row")?.querySelector(".wf-error");
        if (slot) {
            slot.textContent = slot.textContent ? `${slot.textContent} ${issue.message}` : issue.message;
            element.closest(".wf-row")?.classList.add("has-error");
        }
    }
}

function showSchedule(ctx) {
    const box = document.getElementById("wf-schedule-next");
    if (!box) {
        return;
    }
    clear(box);
    const preview = ctx.check.schedule;
    if (!preview) {
        return;
    }
    if (preview.error) {
        box.append(h("p", {class: "wf-error"}, preview.error));
        return;
    }
    box.append(h("p", {class: "wf-help"}, "Next runs:"), h("ol", {class: "wf-next-list"},
        (preview.next || []).map((moment) => h("li", null, new Date(moment).toLocaleString()))));
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
} else {
    start();
}
