/*
 * The Schedule page (scheduler/admin_schedule.py): a search by name beside each input that
 * takes a thing's id (data-search-url, data-data-type; data-list="1": a list, one id per
 * line) and beside "Run as" (a username). Picking a result fills the input; without this
 * script the inputs still take an id or a username typed in.
 */
"use strict";

(function () {
  const DELAY_MS = 200;

  function element(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function search(input, text) {
    const url = new URL(input.dataset.searchUrl, window.location.href);
    url.searchParams.set("q", text);
    if (input.dataset.dataType) url.searchParams.set("data_type", input.dataset.dataType);
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return { error: `search failed (${response.status})`, results: [] };
    return response.json();
  }

  function pick(input, result, picked) {
    if (input.dataset.list === "1") {
      const lines = input.value.split("\n").map((l) => l.trim()).filter(Boolean);
      if (!lines.includes(String(result.id))) lines.push(String(result.id));
      input.value = lines.join("\n");
    } else {
      input.value = result.id;
    }
    picked.textContent = input.dataset.list === "1" ? `added ${result.label}` : result.label;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function attach(input) {
    const what = input.dataset.dataType || "user";
    const box = element("div", { class: "sched-search" });
    const field = element("input", {
      type: "search",
      class: "sched-search-input",
      placeholder: input.dataset.dataType ? "Search by name…" : "Search users…",
      "aria-label": `Search ${what} for ${input.name}`,
      autocomplete: "off",
    });
    const picked = element("span", { class: "sched-picked", "aria-live": "polite" });
    const list = element("ul", { class: "sched-results", "aria-label": `${what} found` });
    box.append(field, picked, list);
    input.insertAdjacentElement("afterend", box);

    let timer = null;
    let asked = 0;
    async function show(text) {
      const mine = ++asked;
      const answer = await search(input, text);
      if (mine !== asked) return; // a later search answered first
      list.replaceChildren();
      if (answer.error) {
        list.append(element("li", { class: "sched-none" }, answer.error));
        return;
      }
      if (!answer.results.length) {
        list.append(element("li", { class: "sched-none" }, "Nothing found."));
      }
      for (const result of answer.results) {
        const button = element("button", { type: "button", class: "sched-result" },
          `${result.label} (${result.id})`);
        button.addEventListener("click", () => {
          pick(input, result, picked);
          list.replaceChildren();
          field.value = "";
          input.focus();
        });
        const item = element("li");
        item.append(button);
        list.append(item);
      }
    }
    field.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => show(field.value.trim()), DELAY_MS);
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") list.replaceChildren();
      if (event.key === "Enter") { // search now; never submit the form from here
        event.preventDefault();
        window.clearTimeout(timer);
        show(field.value.trim());
      }
    });
    // a thing already chosen (the page shown again after an error): show its name
    if (input.dataset.dataType && input.dataset.list !== "1" && input.value.trim()) {
      search(input, input.value.trim()).then((answer) => {
        const found = (answer.results || []).find((r) => String(r.id) === input.value.trim());
        if (found) picked.textContent = found.label;
      });
    }
  }

  function start() {
    const form = document.getElementById("sched-schedule-form");
    if (!form) return;
    form.querySelectorAll("[data-search-url]").forEach((input) => {
      if (input.dataset.searchUrl) attach(input);
    });
    form.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
