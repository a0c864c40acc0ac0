/*
 * The workflow editor: show only the config fieldset of each action's selected type, and
 * the trigger settings only for database triggers.
 *
 * The server renders each saved action with its own type's fieldset only (the page stays
 * small); the blank template row ("Add another") has every type's. When a row's type
 * changes to one it has no fieldset for, the template's is copied in, its field names
 * numbered for the row. The server reads only the selected type's fields.
 */
"use strict";
(function () {
    function rowPrefix(row) {
        const select = row.querySelector("select[name$='-type']");
        return select ? select.name.slice(0, -"-type".length) : null;
    }

    function copyConfigFieldset(row, type) {
        const template = document.getElementById("actions-empty");
        const prefix = rowPrefix(row);
        if (!template || !prefix || !type || row === template) {
            return;
        }
        const source = template.querySelector("fieldset.action-config--" + type);
        if (!source) {
            return;
        }
        const copy = source.cloneNode(true);
        const index = prefix.slice(prefix.lastIndexOf("-") + 1);
        copy.querySelectorAll("[name], [id], [for]").forEach(function (element) {
            ["name", "id", "for"].forEach(function (attribute) {
                const value = element.getAttribute(attribute);
                if (value) {
                    element.setAttribute(attribute, value.replace(/__prefix__/g, index));
                }
            });
        });
        const fieldsets = row.querySelectorAll("fieldset");
        fieldsets[fieldsets.length - 1].insertAdjacentElement("afterend", copy);
    }

    function showActionConfig(row) {
        if (!row) {
            return;
        }
        const select = row.querySelector("select[name$='-type']");
        if (!select) {
            return;
        }
        if (select.value && !row.querySelector("fieldset.action-config--" + select.value)) {
            copyConfigFieldset(row, select.value);
        }
        row.querySelectorAll("fieldset.action-config").forEach(function (fieldset) {
            const selected = fieldset.classList.contains("action-config--" + select.value);
            fieldset.style.display = selected ? "" : "none";
        });
    }

    function showTriggerSettings() {
        const kind = document.getElementById("id_kind");
        if (!kind) {
            return;
        }
        const isTrigger = kind.value === "trigger";
        document.querySelectorAll("fieldset.workflow-trigger-settings").forEach(function (fieldset) {
            fieldset.style.display = isTrigger ? "" : "none";
            const details = fieldset.querySelector("details");
            if (details && isTrigger) {
                details.open = true;
            }
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        document.querySelectorAll("#actions-group .inline-related").forEach(showActionConfig);
        showTriggerSettings();
    });

    document.addEventListener("change", function (event) {
        const target = event.target;
        if (target.id === "id_kind") {
            showTriggerSettings();
        } else if (target.matches("#actions-group select[name$='-type']")) {
            showActionConfig(target.closest(".inline-related"));
        }
    });

    // Django's inlines.js dispatches this on each row added with "Add another".
    document.addEventListener("formset:added", function (event) {
        if (event.target.closest && event.target.closest("#actions-group")) {
            showActionConfig(event.target);
        }
    });
})();
