/*
 * The steps: numbered cards in order, each with its action's plain-language summary (from
 * the server's check) and its problems; add (a menu grouped as Bubble groups actions),
 * duplicate, delete, reorder by drag or by keyboard (Alt+Arrow up/down, or the buttons).
 * The selected card's properties open under it.
 */
"use strict";

import {h} from "./dom.js";
import {stepProperties} from "./properties.js";

export function stepsList(ctx) {
    const actions = ctx.definition.actions = Array.isArray(ctx.definition.actions) ? ctx.definition.actions : [];
    const section = h("section", {class: "wf-steps", "aria-labelledby": "wf-steps-title"},
        h("h2", {id: "wf-steps-title"}, "Steps"));
    const list = h("ol", {class: "wf-step-list", id: "wf-step-list"});
    actions.forEach((step, index) => list.append(card(ctx, step, index)));
    section.append(list);
    if (!actions.length) {
        section.append(h("p", {class: "wf-help"}, "No steps yet: add the first one."));
    }
    if (ctx.canSave) {
        section.append(addMenu(ctx, actions.length));
        const Sortable = window.BubbleEditorLibs && window.BubbleEditorLibs.Sortable;
        if (Sortable) {
            Sortable.create(list, {
                handle: ".wf-drag", animation: 120, draggable: ".wf-card",
                onEnd: (event) => {
                    if (event.oldIndex !== event.newIndex) {
                        move(ctx, event.oldIndex, event.newIndex);
                    }
                },
            });
        }
    }
    return section;
}

/** Text with its {{ dynamic }} parts shown as chips, as the value inputs show them. */
export function withChips(text) {
    return String(text).split(/(\{\{[\s\S]*?\}\})/).map((part) => (part.startsWith("{{") && part.endsWith("}}")
        ? h("span", {class: "wf-chip"}, part.slice(2, -2).trim())
        : part));
}

/** Move step ``from`` to ``to``. The open step stays open wherever it went, and focus
 * stays with the moved step: on the button used (``control``: "up" or "down"), so it can
 * be pressed again, or on the card once that button is disabled at the top or bottom. */
function move(ctx, from, to, control) {
    const actions = ctx.definition.actions;
    if (to < 0 || to >= actions.length || from === to) {
        return;
    }
    const [step] = actions.splice(from, 1);
    actions.splice(to, 0, step);
    if (ctx.selected === from) {
        ctx.selected = to;
    } else if (ctx.selected !== null && from < ctx.selected && ctx.selected <= to) {
        ctx.selected -= 1;
    } else if (ctx.selected !== null && to <= ctx.selected && ctx.selected < from) {
        ctx.selected += 1;
    }
    ctx.changed();
    const focus = () => {
        const button = control && document.getElementById(`wf-move-${control}-${to}`);
        if (button && !button.disabled) {
            button.focus();
        } else {
            ctx.focusLater(`wf-card-${to}`)();
        }
    };
    ctx.render(focus, `Step moved to position ${to + 1}.`);
}

/** The card of step ``index`` as it is now (with its properties when it is selected). */
export function stepCard(ctx, index) {
    return card(ctx, ctx.definition.actions[index], index);
}

function card(ctx, step, index) {
    const action = ctx.action(step.type);
    const info = ctx.check.steps && ctx.check.steps[index];
    const problems = ctx.issuesOfStep(index + 1);
    const selected = ctx.selected === index;
    const title = step.label || (action ? action.label : step.type);
    const summary = info ? info.summary : title;
    const head = h("div", {class: "wf-card-head"},
        ctx.canSave ? h("span", {class: "wf-drag", title: "Drag to move", "aria-hidden": "true"}, "⠿") : null,
        h("span", {class: "wf-step-number", "aria-hidden": "true"}, String(index + 1)),
        h("button", {
            type: "button", class: "wf-card-select", id: `wf-card-${index}`,
            "aria-expanded": selected ? "true" : "false", "aria-controls": `wf-props-${index}`,
            onclick: () => ctx.select(selected ? null : index),
            onkeydown: (event) => {
                if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown") && ctx.canSave) {
                    event.preventDefault();
                    move(ctx, index, index + (event.key === "ArrowUp" ? -1 : 1));
                }
            },
        },
        h("span", {class: "visually-hidden"}, `Step ${index + 1}: `),
        h("span", {class: "wf-card-title"}, title),
        h("span", {class: "wf-card-summary"}, withChips(summary)),
        problems.length ? h("span", {class: "wf-badge", title: problems.map((p) => p.message).join("\n")},
            `${problems.length} problem${problems.length > 1 ? "s" : ""}`) : null,
        step.only_when ? h("span", {class: "wf-card-when"}, `only when ${step.only_when}`) : null),
        ctx.canSave ? h("span", {class: "wf-card-tools"},
            h("button", {type: "button", class: "wf-icon-button", id: `wf-move-up-${index}`, "aria-label": `Move step ${index + 1} up`, title: "Move up (Alt+↑)", disabled: index === 0 || null, onclick: () => move(ctx, index, index - 1, "up")}, "↑"),
            h("button", {type: "button", class: "wf-icon-button", id: `wf-move-down-${index}`, "aria-label": `Move step ${index + 1} down`, title: "Move down (Alt+↓)", disabled: index === ctx.definition.actions.length - 1 || null, onclick: () => move(ctx, index, index + 1, "down")}, "↓"),
            h("button", {type: "button", class: "wf-icon-button", "aria-label": `Duplicate step ${index + 1}`, onclick: () => duplicate(ctx, index)}, "Duplicate"),
            h("button", {type: "button", class: "wf-icon-button wf-danger", "aria-label": `Delete step ${index + 1}`, onclick: () => remove(ctx, index)}, "Delete")) : null,
    );
    const item = h("li", {class: "wf-card" + (selected ? " is-selected" : "") + (problems.length ? " has-problems" : ""), dataset: {index: String(index)}}, head);
    const trial = ctx.trialStep(index + 1);
    if (trial) {
        item.append(h("div", {class: `wf-card-trial is-${trial.status}`},
            `Test run: ${trial.status}${trial.error ? " — " + trial.error : ""}`));
    }
    if (selected) {
        item.append(stepProperties(ctx, index));
    }
    return item;
}

function duplicate(ctx, index) {
    const copy = JSON.parse(JSON.stringify(ctx.definition.actions[index]));
    if (copy.id) {
        let n = 2;
        while (ctx.definition.actions.some((a) => a.id === `${copy.id}_${n}`)) {
            n += 1;
        }
        copy.id = `${copy.id}_${n}`;
    }
    ctx.definition.actions.splice(index + 1, 0, copy);
    ctx.selected = index + 1;
    ctx.changed();
    ctx.render(ctx.focusLater(`wf-card-${index + 1}`), `Step ${index + 1} duplicated as step ${index + 2}.`);
}

function remove(ctx, index) {
    const step = ctx.definition.actions[index];
    const name = step.label || step.id || (ctx.action(step.type) || {}).label || step.type;
    if (!window.confirm(`Delete step ${index + 1} (${name})?`)) {
        return;
    }
    ctx.definition.actions.splice(index, 1);
    ctx.selected = null;
    ctx.changed();
    const next = Math.min(index, ctx.definition.actions.length - 1);
    ctx.render(ctx.focusLater(next >= 0 ? `wf-card-${next}` : "wf-add-step"), `Step ${index + 1} deleted.`);
}

function addMenu(ctx, count) {
    const button = h("button", {type: "button", class: "button wf-add-step", id: "wf-add-step", "aria-haspopup": "menu", "aria-expanded": "false"}, "+ Add a step");
    const menu = h("div", {class: "wf-add-menu", role: "menu", hidden: true, "aria-label": "Add a step"});
    for (const family of ctx.catalog.families) {
        const actions = ctx.catalog.actions.filter((a) => a.family === family.name);
        if (!actions.length) {
            continue;
        }
        menu.append(h("div", {class: "wf-add-group", role: "group", "aria-label": family.label},
            h("div", {class: "wf-add-group-title", "aria-hidden": "true"}, family.label),
            actions.map((action) => h("button", {
                type: "button", role: "menuitem", class: "wf-add-item", title: action.description,
                dataset: {type: action.name},
                onclick: () => {
                    ctx.definition.actions.push({type: action.name});
                    ctx.selected = count;
                    ctx.changed();
                    ctx.render(ctx.focusLater(`wf-card-${count}`), `Step ${count + 1} added: ${action.label}.`);
                },
            }, action.label))));
    }
    const items = () => [...menu.querySelectorAll("[role=menuitem]")];
    const close = (focusButton) => {
        menu.hidden = true;
        button.setAttribute("aria-expanded", "false");
        if (focusButton) {
            button.focus();
        }
    };
    button.addEventListener("click", () => {
        const open = menu.hidden;
        menu.hidden = !open;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        if (open) {
            items()[0].focus();
        }
    });
    menu.addEventListener("keydown", (event) => {
        const all = items();
        const at = all.indexOf(document.activeElement);
        if (event.key === "ArrowDown") {
            all[(at + 1) % all.length].focus();
        } else if (event.key === "ArrowUp") {
            all[(at - 1 + all.length) % all.length].focus();
        } else if (event.key === "Home") {
            all[0].focus();
        } else if (event.key === "End") {
            all[all.length - 1].focus();
        } else if (event.key === "Escape") {
            close(true);
        } else {
            return;
        }
        event.preventDefault();
    });
    menu.addEventListener("focusout", (event) => {
        if (!menu.contains(event.relatedTarget) && event.relatedTarget !== button) {
            close(false);
        }
    });
    return h("div", {class: "wf-add"}, button, menu);
}
