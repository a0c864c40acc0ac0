/*
 * Small DOM helpers for the workflow editor: build elements without innerHTML (every text
 * a builder typed goes in as text, never as markup).
 */
"use strict";

/** h("button", {type: "button", onclick: f, class: "x"}, "Label", child...) */
export function h(tag, attrs, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
        if (value === null || value === undefined || value === false) {
            continue;
        }
        if (name.startsWith("on") && typeof value === "function") {
            element.addEventListener(name.slice(2), value);
        } else if (name === "class") {
            element.className = value;
        } else if (name === "dataset") {
            Object.assign(element.dataset, value);
        } else if (name in element && typeof value !== "string" && name !== "list") {
            element[name] = value;
        } else {
            element.setAttribute(name, value === true ? "" : String(value));
        }
    }
    append(element, children);
    return element;
}

export function append(element, children) {
    for (const child of children.flat(Infinity)) {
        if (child === null || child === undefined || child === false) {
            continue;
        }
        element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
}

export function clear(element) {
    element.replaceChildren();  // at once: a blur handler run by the removal finds nothing half-removed
    return element;
}

/** An id safe for an element, from a definition path: ["actions", 2, "to"] -> "wf-f-actions-2-to". */
export function fieldId(path) {
    return "wf-f-" + path.map((part) => String(part).replace(/[^A-Za-z0-9_-]/g, "_")).join("-");
}

/** Call ``fn`` once ``ms`` have passed without another call. */
export function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
        clearTimeout(timer);
        timer = setTimeout(() => fn(...args), ms);
    };
}

/** A labelled form row: label, control, help text, an error slot. */
export function row(label, control, {help, id, wide} = {}) {
    const controlId = id || control.id || (control.querySelector && control.querySelector("[id]")?.id);
    return h(
        "div",
        {class: "wf-row" + (wide ? " wf-row--wide" : "")},
        h("label", {class: "wf-label", for: controlId || null}, label),
        h("div", {class: "wf-control"}, control,
            help ? h("div", {class: "wf-help", id: controlId ? controlId + "-help" : null}, help) : null,
            h("div", {class: "wf-error", id: controlId ? controlId + "-error" : null, role: "alert"})),
    );
}
