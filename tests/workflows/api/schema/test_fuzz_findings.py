"""What fuzzing the OpenAPI document found (each was a 500), kept fixed: now a 4xx with a
clear JSON error, or a normal answer. Several were PostgreSQL-only; these run on both
databases."""

from __future__ import annotations

import json

import pytest

from examples.services import examples_load
from workflows.engine.functions import is_email
from workflows.engine.params import unstorable_text


@pytest.fixture
def staff_key(staff_user, make_key):
    return make_key(staff_user)


@pytest.fixture
def get(api, staff_key):
    def do(url: str, **params):
        return api.get(url, params, HTTP_AUTHORIZATION=f"Bearer {staff_key}")

    return do


@pytest.fixture
def post(api, staff_key):
    def do(url: str, body):
        return api.post(url, body, format="json", HTTP_AUTHORIZATION=f"Bearer {staff_key}")

    return do


def _refused(response, status: int, code: str, parameter: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if parameter:
        assert response.json()["parameter"] == parameter


def test_a_huge_search_cursor_is_a_400_not_an_offset_overflow(get):
    _refused(get("/api/1.1/obj/examples.order", cursor=str(10**30)), 400, "INVALID_PARAMETER")
    assert get("/api/1.1/obj/examples.order", cursor=str(10**9)).status_code == 200


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"username": "x", "email": True}, "email"),  # User.clean() strips the email
        ({"username": "x", "email": 5, "last_name": "y"}, None),  # numbers become text
        ({"username": ["x"]}, "username"),
        ({"username": "x", "first_name": {"a": 1}}, "first_name"),
    ],
)
def test_data_api_text_fields_take_text(post, body, parameter):
    response = post("/api/1.1/obj/auth.user", body)
    assert response.status_code == 400, response.content  # never a crash in Model.clean()
    if parameter:
        assert response.json()["parameter"] == parameter


def test_nul_characters_are_refused_everywhere_before_the_database(get, post, make_workflow):
    make_workflow("echo", expose=True, parameters=[{"key": "name", "type": "text"}])
    _refused(get("/api/1.1/wf/ec%00ho"), 400, "INVALID_REQUEST")
    _refused(get("/api/1.1/scheduled", workflow="a\x00b"), 400, "INVALID_REQUEST")
    _refused(post("/api/1.1/wf/echo", {"name": "a\x00b"}), 400, "INVALID_PARAMETER", "name")
    _refused(
        post("/api/1.1/wf/echo/schedule", {"params": {"name": ["\x00"]}}),
        400,
        "INVALID_PARAMETER",
        "name",
    )
    _refused(post("/api/1.1/obj/examples.setting", {"name": "a\x00"}), 400, "INVALID_PARAMETER")
    constraint = [{"key": "name", "constraint_type": "equals", "value": "a\u0000"}]
    response = get("/api/1.1/obj/examples.setting", constraints=json.dumps(constraint))
    _refused(response, 400, "INVALID_PARAMETER", "constraints")


def test_unstorable_text_looks_everywhere():
    assert "NUL" in unstorable_text({"a": ["b", {"c\x00": 1}]})
    assert "NUL" in unstorable_text(("x", "\x00"))
    assert "surrogate" in unstorable_text({"a": ["b", {"c": "x\ud800"}]})
    assert unstorable_text({"a": ["b", {"c": 1}], "d": 2.0, "e": "é🎉"}) is None


def test_a_date_with_a_far_offset_is_read_in_utc(get, post, make_workflow):
    # Python reads offsets up to ±23:59, PostgreSQL only to ±15:59
    response = get("/api/1.1/scheduled", due_after="0388-08-13T17:45:30+21:43")
    assert response.status_code == 200, response.content
    make_workflow(
        "when",
        expose=True,
        parameters=[{"key": "at", "type": "date"}],
        actions=[{"type": "return_data", "data": {"at": "{{ params.at }}"}}],
    )
    answer = post("/api/1.1/wf/when", {"at": "2026-01-01T21:43:00+21:43"})
    assert answer.json()["response"]["at"] == "2026-01-01T00:00:00+00:00"
    _refused(
        post("/api/1.1/wf/when", {"at": "0001-01-01T00:00:00+01:00"}), 400, "INVALID_PARAMETER"
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ann@example.com", True),
        ("ann@example.com, bo@example.com", True),
        (["ann@example.com"], True),
        ("new-password", False),
        ("", False),
        (None, False),
        ("ann@", False),
        (True, False),
    ],
)
def test_is_email(value, valid):
    assert is_email(value) is valid


@pytest.mark.privacy
def test_the_examples_refuse_a_bad_address_with_a_400(db, call, staff_key):
    examples_load()
    for name, params, key in [
        ("send_email_template", {"to": "new-password", "subject": "s", "body": "b"}, staff_key),
        ("verify_send", {"email": "ann@"}, None),
        ("verify_send", {"email": "ann@example.com,eve@example.com"}, None),
    ]:
        response = call(name, params, key=key)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "CONDITION_NOT_MET"
    assert call("verify_send", {"email": " Ann@Example.com "}).status_code == 200
