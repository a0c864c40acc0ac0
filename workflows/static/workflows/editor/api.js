/*
 * Talking to the editor's endpoints (workflows/admin/editor.py): JSON in, JSON out, with
 * Django's CSRF token from the page's form.
 */
"use strict";

function csrfToken() {
    const input = document.querySelector("#workflow-form [name=csrfmiddlewaretoken]");
    return input ? input.value : "";
}

export async function postJSON(url, body) {
    const response = await fetch(url, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify(body),
        credentials: "same-origin",
    });
    if (!response.ok) {
        throw new Error(`${response.status} ${response.statusText}`);
    }
    return response.json();
}

export async function getJSON(url, query) {
    const response = await fetch(url + "?" + new URLSearchParams(query), {credentials: "same-origin"});
    if (!response.ok) {
        throw new Error(`${response.status} ${response.statusText}`);
    }
    return response.json();
}
