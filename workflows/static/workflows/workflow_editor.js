/*
 * The workflow editor: show only the config fieldset of each action's selected type, and
 * the trigger settings only for database triggers. Without JavaScript every fieldset stays
 * visible and still works: the server reads only the selected type's fields.
 */
"use strict";
(function () {
    function showActionConfig(row) {
        if (!row) {
            return;
        }
        const select = row.querySelector("select[name$='-type']");
        if (!select) {
            return;
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
