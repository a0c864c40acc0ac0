"""The OpenAPI document of accounts: bearer authentication names user tokens, a workflow
that logs a user in without returning data answers ``{token, user_id, expires}``, and the
account actions' results are typed where return_data reads them."""

from __future__ import annotations

import pytest

from .conftest import component, result_schema

CREDENTIALS = [{"key": "email", "type": "text"}, {"key": "password", "type": "text"}]
LOG_IN = {"type": "log_user_in", "email": "{{ params.email }}", "password": "{{ params.password }}"}


def test_bearer_authentication_covers_keys_and_user_tokens(make_workflow, document):
    make_workflow("mine", expose=True, auth="user")
    doc = document()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "user token" in scheme["description"] and "API key" in scheme["description"]
    assert doc["paths"]["/api/1.1/wf/mine"]["post"]["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("action", ["sign_up", "log_user_in"])
def test_a_log_in_without_returned_data_answers_the_token(make_workflow, document, action):
    make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=CREDENTIALS,
        actions=[{**LOG_IN, "type": action}],
    )
    result = result_schema(document(), "/api/1.1/wf/login")
    assert result["properties"] == {
        "token": {"type": "string"},
        "user_id": {"type": "integer"},
        "expires": {"type": "integer"},
    }
    assert result["additionalProperties"] is False


def test_return_data_that_always_runs_is_the_answer(make_workflow, document):
    make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=CREDENTIALS,
        actions=[{**LOG_IN, "id": "login"}, {"type": "return_data", "data": {"ok": True}}],
    )
    assert set(result_schema(document(), "/api/1.1/wf/login")["properties"]) == {"ok"}


def test_return_data_that_may_not_run_adds_the_log_in_keys(make_workflow, document):
    make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=CREDENTIALS,
        actions=[
            {**LOG_IN, "id": "login"},
            {"type": "return_data", "only_when": "params.email == 'x'", "data": {"ok": True}},
        ],
    )
    result = result_schema(document(), "/api/1.1/wf/login")
    assert set(result["properties"]) == {"ok", "token", "user_id", "expires"}
    assert "required" not in result


def test_the_account_actions_results_are_typed(make_workflow, document):
    make_workflow(
        "signup",
        expose=True,
        auth="none",
        parameters=CREDENTIALS,
        actions=[
            {
                "id": "s",
                "type": "sign_up",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
            },
            {
                "id": "other",
                "type": "create_account_for_someone_else",
                "email": "friend@example.com",
                "return_password_change_link": True,
            },
            {"id": "out", "type": "log_user_out"},
            {
                "type": "return_data",
                "data": {
                    "user": "{{ steps.s.user }}",
                    "token": "{{ steps.s.token }}",
                    "expires": "{{ steps.s.expires }}",
                    "friend": "{{ steps.other.user }}",
                    "link": "{{ steps.other.password_change_link }}",
                    "revoked": "{{ steps.out }}",
                },
            },
        ],
    )
    doc = document()
    result = result_schema(doc, "/api/1.1/wf/signup")
    props = result["properties"]
    assert component(doc, props["user"])["properties"]["email"]  # the auth.User component
    assert props["friend"] == props["user"]
    assert props["token"] == {"type": "string"}
    assert props["expires"] == {"type": "integer"} and props["revoked"] == {"type": "integer"}
    assert props["link"] == {"type": "string", "nullable": True}
