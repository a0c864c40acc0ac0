"""Every error carries Bubble's keys beside ours (docs/api.md#errors): ``statusCode`` (the
HTTP status) and ``body: {status: <Bubble's code>, message}``, on every path that answers
an error — DRF's handler, the middlewares that answer before a view, the Data API and the
scheduler's API — and docs/api.md's table maps each code of ours as the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows.api.errors import BUBBLE_CODES, bubble_code

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def bubble_keys(response) -> dict:
    body = response.json()
    assert body["status"] == "error"
    assert body["statusCode"] == response.status_code
    assert body["body"] == {"status": bubble_code(body["code"]), "message": body["message"]}
    return body


def test_a_missing_parameter_is_bubbles_missing_data(call, make_workflow):
    make_workflow("greet", expose=True, auth="none", parameters=[{"key": "name"}])
    body = bubble_keys(call("greet", {}))
    assert (body["statusCode"], body["body"]["status"]) == (400, "MISSING_DATA")


def test_a_condition_not_met_is_bubbles_not_run(call, make_workflow):
    make_workflow(
        "never", expose=True, auth="none", only_when="false", actions=[{"type": "terminate"}]
    )
    body = bubble_keys(call("never", {}))
    assert (body["statusCode"], body["body"]["status"]) == (400, "NOT_RUN")


def test_no_key_is_bubbles_unauthorized(call, make_workflow):
    make_workflow("private", expose=True, auth="user")
    body = bubble_keys(call("private", {}))
    assert (body["statusCode"], body["body"]["status"]) == (401, "UNAUTHORIZED")


def test_an_unknown_workflow_and_thing_are_bubbles_not_found(api, call, key):
    assert bubble_keys(call("nothing-here", {}))["body"]["status"] == "NOT_FOUND"
    response = api.get("/api/1.1/obj/examples.Order/999999", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bubble_keys(response)["statusCode"] == 404


def test_errors_answered_before_a_view_carry_them_too(api):
    nul = api.get("/api/1.1/wf/x?q=%00")
    assert bubble_keys(nul)["body"]["status"] == "INVALID_DATA"
    in_url = api.get("/api/1.1/wf/x?api_token=abc")
    assert bubble_keys(in_url)["code"] == "API_KEY_IN_URL"


def test_a_failed_run_is_bubbles_error(call, make_workflow):
    make_workflow(
        "broken", expose=True, auth="none", actions=[{"type": "log", "message": "{{ 1 / 0 }}"}]
    )
    body = bubble_keys(call("broken", {}))
    assert (body["statusCode"], body["body"]["status"]) == (500, "ERROR")


def _documented() -> dict[str, set[str]]:
    """docs/api.md's table of errors: our code → the Bubble codes its rows give."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([A-Z_]+)` \|", DOCS.read_text(), re.M)
    table: dict[str, set[str]] = {}
    for ours, bubbles in rows:
        table.setdefault(ours, set()).add(bubbles)
    return table


def test_the_docs_table_maps_every_code_as_the_code_does():
    table = _documented()
    assert set(BUBBLE_CODES) <= set(table), "a mapped code is missing from docs/api.md"
    for ours, bubbles in table.items():
        assert bubbles == {bubble_code(ours)}, ours


@pytest.mark.parametrize("code", ["WORKFLOW_ERROR", "TIMEOUT", "SERVER_ERROR", "ANYTHING_NEW"])
def test_codes_bubble_has_no_name_for_are_error(code):
    assert bubble_code(code) == "ERROR"
