/*
 * The Data section's tables (workflows/admin/data/): a data type's fields and an option
 * set's options. Without this script the pages still save what is shown; with it:
 *
 * - fields: "Add another field" adds a row; each new row shows only the inputs its type
 *   takes ("points to" a data type for a thing, an option set for an option; no list,
 *   unique or default where the type has none); the display field offers the text, number
 *   and date fields as they are typed, renamed or deleted;
 * - options: "Add an option", "Add an attribute" (a column), and reordering by dragging
 *   (SortableJS, vendored in editor-libs.js) or with the arrow buttons.
 */
"use strict";
{
    const info = () => {
        const script = document.getElementById("dm-field-types");
        return script ? JSON.parse(script.textContent) : {};
    };

    /* --- a data type's fields ------------------------------------------------------------- */

    function fieldsTable(group) {
        const types = info();
        const total = group.querySelector("input[name$='-TOTAL_FORMS']");
        const template = group.querySelector("#fields-empty");
        const display = document.getElementById("id_display_field");
        // which row the display field is: by row, so a rename keeps it chosen
        let displayRow = null;

        const rows = () => Array.from(group.querySelectorAll("tr[data-dm-row]:not(.empty-form)"));
        const input = (row, name) => row.querySelector(`[name$='-${name}']`);
        const rowType = (row) => row.dataset.type || (input(row, "type") || {}).value || "text";
        const rowList = (row) => row.hasAttribute("data-saved")
            ? row.dataset.list === "1"
            : Boolean((input(row, "is_list") || {}).checked);
        const rowName = (row) => ((input(row, "name") || {}).value || "").trim();
        const deleted = (row) => Boolean((input(row, "DELETE") || {}).checked);

        function fit(row) {
            // the inputs a field of its type takes; a saved field's type is fixed
            const saved = row.hasAttribute("data-saved");
            const kind = types[rowType(row)] || {};
            const list = input(row, "is_list");
            if (!saved) {
                row.querySelectorAll("[data-dm-needs]").forEach((box) => {
                    const needed = box.dataset.dmNeeds === "thing" ? kind.target : kind.option_set;
                    box.hidden = !needed;
                    box.querySelector("select").disabled = !needed;
                });
                list.disabled = !kind.listable;
                if (!kind.listable) {
                    list.checked = false;
                }
                input(row, "type").title = kind.description || "";
            }
            const isList = rowList(row);
            const indexable = kind.indexable && !isList;
            ["unique", "indexed"].forEach((name) => {
                const box = input(row, name);
                box.disabled = !indexable;
                if (!indexable) {
                    box.checked = false;
                }
            });
            const fallback = input(row, "default");
            fallback.disabled = !kind.default || isList;
            fallback.placeholder = fallback.disabled ? "" : ({number: "0", yes_no: "yes or no", date: "2025-01-31"}[rowType(row)] || "");
        }

        function refreshDisplay() {
            if (!display) {
                return;
            }
            const choices = rows().filter((row) => {
                const kind = types[rowType(row)] || {};
                return kind.displayable && !rowList(row) && rowName(row) && !deleted(row);
            });
            const keep = displayRow;
            display.replaceChildren(new Option("— (its id)", ""));
            choices.forEach((row) => {
                const option = new Option(rowName(row), rowName(row));
                option.dataset.row = row.id;
                display.append(option);
            });
            const chosen = Array.from(display.options).find((o) => keep && o.dataset.row === keep);
            display.value = chosen ? chosen.value : "";
        }

        function addRow(event) {
            event.preventDefault();
            const index = parseInt(total.value, 10);
            const row = template.cloneNode(true);
            row.hidden = false;
            row.classList.remove("empty-form");
            row.id = `fields-${index}`;
            row.querySelectorAll("[name], [id], label[for]").forEach((el) => {
                ["name", "id", "for"].forEach((attr) => {
                    if (el.hasAttribute(attr)) {
                        el.setAttribute(attr, el.getAttribute(attr).replace("__prefix__", index));
                    }
                });
            });
            template.before(row);
            total.value = index + 1;
            fit(row);
            input(row, "name").focus();
        }

        function removeRow(row) {
            // later new rows take the freed numbers: the server reads rows 0..TOTAL-1
            const removed = parseInt(row.id.split("-")[1], 10);
            row.remove();
            rows().forEach((other) => {
                const index = parseInt(other.id.split("-")[1], 10);
                if (index > removed) {
                    const renamed = index - 1;
                    other.id = `fields-${renamed}`;
                    other.querySelectorAll("[name], [id]").forEach((el) => {
                        ["name", "id"].forEach((attr) => {
                            if (el.hasAttribute(attr)) {
                                el.setAttribute(attr, el.getAttribute(attr).replace(`fields-${index}-`, `fields-${renamed}-`));
                            }
                        });
                    });
                }
            });
            total.value = parseInt(total.value, 10) - 1;
            refreshDisplay();
        }

        if (display && display.value) {
            const row = rows().find((r) => rowName(r) === display.value);
            displayRow = row ? row.id : null;
        }
        if (display) {
            display.addEventListener("change", () => {
                const option = display.selectedOptions[0];
                displayRow = option && option.dataset.row ? option.dataset.row : null;
            });
        }
        rows().forEach(fit);
        refreshDisplay();
        group.addEventListener("input", refreshDisplay);
        group.addEventListener("change", (event) => {
            const row = event.target.closest("tr[data-dm-row]");
            if (row) {
                fit(row);
            }
            refreshDisplay();
        });
        group.addEventListener("click", (event) => {
            const remove = event.target.closest("[data-dm-remove]");
            if (remove) {
                event.preventDefault();
                removeRow(remove.closest("tr"));
            }
        });
        const add = group.querySelector("[data-dm-add-field]");
        if (add) {
            add.addEventListener("click", addRow);
        }
    }

    /* --- an option set's options --------------------------------------------------------- */

    function optionsTable(group) {
        const list = group.querySelector("[data-dm-option-list]");
        const head = group.querySelector("[data-dm-head]");
        const optionsTotal = group.querySelector("[data-dm-options-total]");
        const attributesTotal = group.querySelector("[data-dm-attributes-total]");
        const addCell = group.querySelector("[data-dm-add-cell]");
        const options = () => Array.from(list.querySelectorAll("tr[data-dm-option]"));

        function renumber() {
            options().forEach((row, position) => {
                row.querySelector("[data-dm-position]").value = position;
                const buttons = row.querySelectorAll("[data-dm-move]");
                buttons[0].disabled = position === 0;
                buttons[1].disabled = position === options().length - 1;
            });
        }

        function cell(name, label) {
            const td = document.createElement("td");
            td.className = "dm-attribute";
            const box = document.createElement("input");
            Object.assign(box, {type: "text", name, size: 10});
            box.setAttribute("aria-label", label);
            td.append(box);
            return td;
        }

        function addOption(event) {
            event.preventDefault();
            const index = parseInt(optionsTotal.value, 10);
            const attributes = parseInt(attributesTotal.value, 10);
            const row = document.createElement("tr");
            row.className = "form-row dm-option";
            row.dataset.dmOption = "";
            row.innerHTML = `<td class="dm-order"><span class="dm-drag" title="Drag to move" aria-hidden="true">☰</span>`
                + `<button type="button" class="dm-move" data-dm-move="-1" aria-label="Move up">▲</button>`
                + `<button type="button" class="dm-move" data-dm-move="1" aria-label="Move down">▼</button>`
                + `<input type="hidden" name="options-${index}-id" value="">`
                + `<input type="hidden" name="options-${index}-position" value="${index}" data-dm-position></td>`
                + `<td class="field-display"><input type="text" name="options-${index}-display" size="24" aria-label="Display"></td>`;
            for (let j = 0; j < attributes; j += 1) {
                row.append(cell(`options-${index}-attr-${j}`, "Attribute value"));
            }
            const remove = document.createElement("td");
            remove.className = "delete";
            remove.innerHTML = `<a role="button" class="inline-deletelink" href="#" data-dm-remove title="Remove this new option">Remove</a>`;
            row.append(remove);
            list.append(row);
            optionsTotal.value = index + 1;
            renumber();
            row.querySelector("input[type=text]").focus();
        }

        function addAttribute(event) {
            event.preventDefault();
            const j = parseInt(attributesTotal.value, 10);
            const th = document.createElement("th");
            th.className = "dm-attribute";
            th.scope = "col";
            const name = document.createElement("input");
            Object.assign(name, {type: "text", name: `attribute-${j}`, size: 10, placeholder: "attribute"});
            name.setAttribute("aria-label", "Attribute name");
            th.append(name);
            head.lastElementChild.before(th);
            options().forEach((row) => {
                const index = row.querySelector("[name$='-display']").name.split("-")[1];
                row.lastElementChild.before(cell(`options-${index}-attr-${j}`, "Attribute value"));
            });
            group.querySelectorAll("td[colspan]").forEach((td) => {
                td.colSpan += 1;
            });
            attributesTotal.value = j + 1;
            name.focus();
        }

        const Sortable = window.BubbleEditorLibs && window.BubbleEditorLibs.Sortable;
        if (Sortable) {
            Sortable.create(list, {handle: ".dm-drag", draggable: "tr[data-dm-option]", animation: 120, onEnd: renumber});
        }
        group.addEventListener("click", (event) => {
            const move = event.target.closest("[data-dm-move]");
            if (move) {
                const row = move.closest("tr");
                const step = parseInt(move.dataset.dmMove, 10);
                const rows = options();
                const target = rows[rows.indexOf(row) + step];
                if (target) {
                    (step < 0 ? target.before(row) : target.after(row));
                    // an error row above an option stays with it
                    renumber();
                    move.focus();
                }
                return;
            }
            const remove = event.target.closest("[data-dm-remove]");
            if (remove) {
                event.preventDefault();
                remove.closest("tr").remove();
                renumber();
            }
        });
        group.querySelector("[data-dm-add-option]").addEventListener("click", addOption);
        group.querySelector("[data-dm-add-attribute]").addEventListener("click", addAttribute);
        if (addCell) {
            renumber();
        }
    }

    function start() {
        document.querySelectorAll("[data-dm-fields]:not([data-readonly])").forEach(fieldsTable);
        document.querySelectorAll("[data-dm-options]:not([data-readonly])").forEach(optionsTable);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}
