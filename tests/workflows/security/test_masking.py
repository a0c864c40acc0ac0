"""Masking: secret parameters and operator secrets never reach the run log (Run.params,
StepRun inputs/outputs, errors), the REST run payload, the admin run page, error messages
or the Python log."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from workflows import engine, masking, secrets
from workflows.engine.serialize import to_log
from workflows.masking import MASK
from workflows.models import Run, Secret, StepRun

pytestmark = pytest.mark.django_db

TOKEN = "tok_9f8e7d6c5b4a3210"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def token():
    secrets.set_secret("TOKEN", TOKEN)
    return TOKEN


def logged(run: Run) -> str:
    """Everything the run log holds about a run and its steps, as one text."""
    rows = [
        {
            "params": r.params,
            "result": r.result,
            "error": r.error_message,
        }
        for r in Run.objects.all()
    ]
    rows += [
        {"inputs": s.inputs, "output": s.output, "error": s.error} for s in StepRun.objects.all()
    ]
    return json.dumps(rows, ensure_ascii=False)


@pytest.fixture
def signup(make_workflow):
    """A workflow with a secret text parameter that is used in its steps."""
    return make_workflow(
        "signup",
        expose=True,
        auth="none",
        parameters=[
            {"key": "email", "type": "text"},
            {"key": "password", "type": "text", "secret": True},
            {"key": "pin", "type": "number", "secret": True, "optional": True},
        ],
        actions=[
            {
                "id": "note",
                "type": "log",
                "message": "{{ params.email }} chose {{ params.password }}",
            },
            {
                "type": "return_data",
                "data": {"echo": "{{ params.password }}", "pin": "{{ params.pin }}"},
            },
        ],
    )


# --- the run log -----------------------------------------------------------------------------


def test_secret_parameters_are_masked_in_params_steps_and_result(signup, user):
    result = engine.run(signup, {"email": "a@example.com", "password": PASSWORD, "pin": 4321}, user)
    assert result.response == {"echo": PASSWORD, "pin": 4321}  # the caller gets what it asked
    run = result.run
    assert run.params == {"email": "a@example.com", "password": MASK, "pin": MASK}
    note = run.steps.get(position=1)
    assert note.inputs["message"] == f"a@example.com chose {MASK}"
    assert note.output == f"a@example.com chose {MASK}"
    assert run.result == {"echo": MASK, "pin": 4321}  # a number is masked by key, not value
    assert PASSWORD not in logged(run)


def test_operator_secrets_are_masked_wherever_they_appear(make_workflow, user, token):
    wf = make_workflow(
        actions=[
            {"type": "log", "message": "calling with {{ secrets.TOKEN }}!"},
            {
                "type": "return_data",
                "data": {"t": "{{ secrets.TOKEN }}", "u": "x{{ secrets.TOKEN }}"},
            },
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.response["t"] == TOKEN
    assert result.run.result == {"t": MASK, "u": f"x{MASK}"}
    assert result.run.steps.get(position=1).output == f"calling with {MASK}!"
    assert TOKEN not in logged(result.run)


def test_http_responses_echoing_a_secret_are_masked(
    make_workflow, user, token, httpserver, settings
):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    httpserver.expect_request("/echo").respond_with_json({"you_sent": f"Bearer {TOKEN}"})
    wf = make_workflow(
        actions=[
            {
                "type": "http_request",
                "url": httpserver.url_for("/echo"),
                "headers": {"X-Custom": "{{ secrets.TOKEN }}"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    step = result.run.steps.get()
    assert step.inputs["headers"]["X-Custom"] == MASK
    assert step.output["json"] == {"you_sent": f"Bearer {MASK}"}
    assert TOKEN not in logged(result.run)


def test_short_values_are_masked_only_as_whole_strings(make_workflow, user):
    secrets.set_secret("SHORT", "ab")
    wf = make_workflow(
        actions=[{"type": "return_data", "data": {"alone": "{{ secrets.SHORT }}", "in": "abc"}}]
    )
    assert engine.run(wf, {}, user).run.result == {"alone": MASK, "in": "abc"}


def test_the_python_log_of_the_log_action_is_masked(signup, user, caplog):
    with caplog.at_level(logging.INFO):
        engine.run(signup, {"email": "a@example.com", "password": PASSWORD}, user)
    assert "a@example.com chose" in caplog.text
    assert PASSWORD not in caplog.text


# --- error messages --------------------------------------------------------------------------


def test_an_invalid_secret_parameter_is_not_echoed(call, signup):
    response = call("signup", {"email": "a@example.com", "password": "x", "pin": "12ab-s3cret"})
    body = response.json()
    assert (response.status_code, body["code"], body["parameter"]) == (
        400,
        "INVALID_PARAMETER",
        "pin",
    )
    assert "12ab-s3cret" not in json.dumps(body)
    assert "expected a number" in body["message"] and "secret" in body["message"]


def test_an_invalid_ordinary_parameter_is_still_described(make_workflow, call):
    make_workflow("plain", expose=True, auth="none", parameters=[{"key": "n", "type": "number"}])
    assert "'abc'" in call("plain", {"n": "abc"}).json()["message"]


def test_a_rejected_scheduled_style_run_masks_its_params(signup, user):
    """Runs nobody waits for log their rejected parameters: secret ones masked."""
    result = engine.run(
        signup, {"email": "e", "password": PASSWORD, "pin": "x1y2z3w4"}, user, log_rejected=True
    )
    assert result.error.code == "INVALID_PARAMETER"
    assert result.run.params["password"] == MASK and result.run.params["pin"] == MASK
    assert "x1y2z3w4" not in result.run.error_message and PASSWORD not in logged(result.run)


def test_a_failing_http_request_does_not_reveal_a_secret_in_its_url(
    make_workflow, call, api, user, key, token, settings
):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    make_workflow(
        "notify",
        expose=True,
        auth="user",
        actions=[
            {
                "type": "http_request",
                "url": "http://127.0.0.1:1/bot{{ secrets.TOKEN }}/send",
                "headers": {"X-Token": "{{ secrets.TOKEN }}"},
            }
        ],
    )
    response = call("notify", key=key)
    body = response.json()
    assert response.status_code == 500 and "failed" in body["message"]
    assert f"/bot{MASK}/send" in body["message"] and TOKEN not in json.dumps(body)
    run = Run.objects.get(pk=body["run"])
    assert TOKEN not in run.error_message and TOKEN not in run.steps.get().error
    assert TOKEN not in logged(run)
    payload = api.get(f"/api/1.1/runs/{run.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert payload["response"]["error"]["code"] == "WORKFLOW_ERROR"
    assert TOKEN not in json.dumps(payload)


def test_an_expression_error_quoting_a_secret_parameter_is_masked(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "code", "type": "text", "secret": True}],
        actions=[{"type": "log", "message": "{{ date(params.code) }}"}],
    )
    result = engine.run(wf, {"code": "not-a-date-s3cret"}, user)
    assert not result.ok
    assert "not-a-date-s3cret" not in result.error.message
    assert "not-a-date-s3cret" not in logged(result.run)


# --- the REST run payload and the admin ------------------------------------------------------


def test_the_rest_run_payload_is_masked(call, api, make_workflow, make_key, staff_user, token):
    key = make_key(staff_user)  # staff read each step's inputs and output
    make_workflow(
        "login",
        expose=True,
        auth="user",
        parameters=[{"key": "password", "type": "text", "secret": True}],
        actions=[
            {"id": "say", "type": "log", "message": "{{ params.password }} {{ secrets.TOKEN }}"},
            {"type": "return_data", "data": {"ok": True}},
        ],
    )
    run_id = call("login", {"password": PASSWORD}, key=key)["X-Run-Id"]
    payload = api.get(f"/api/1.1/runs/{run_id}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    run = payload["response"]
    assert run["params"] == {"password": MASK}
    assert run["steps"][0]["output"] == f"{MASK} {MASK}"
    text = json.dumps(payload)
    assert PASSWORD not in text and TOKEN not in text


def test_the_admin_run_page_is_masked(signup, user, superuser, token, make_workflow):
    wf = make_workflow(
        "both",
        parameters=[{"key": "password", "type": "text", "secret": True}],
        actions=[{"type": "log", "message": "{{ params.password }}/{{ secrets.TOKEN }}"}],
    )
    run = engine.run(wf, {"password": PASSWORD}, user).run
    client = Client()
    client.force_login(superuser)
    html = client.get(f"/admin/workflows/run/{run.pk}/change/").content.decode()
    assert MASK in html
    assert PASSWORD not in html and TOKEN not in html
    listing = client.get("/admin/workflows/run/").content.decode()
    assert PASSWORD not in listing and TOKEN not in listing


# --- the masking cache -----------------------------------------------------------------------


def test_a_new_secret_is_masked_at_once():
    assert to_log("value new-secret-value") == "value new-secret-value"
    secrets.set_secret("NEW", "new-secret-value")
    assert to_log("value new-secret-value") == f"value {MASK}"
    secrets.delete_secret("NEW")
    assert to_log("value new-secret-value") == "value new-secret-value"


def test_a_secret_written_by_another_process_is_masked_once_read(make_workflow, user):
    """Another process's write fires no signal here: the first read of the value makes the
    masking cache rebuild before the value can be logged."""
    secrets.set_secret("OLD", "old-secret-value")
    wf = make_workflow(
        actions=[{"type": "return_data", "data": {"v": "{{ secrets.OLD }}"}}],
    )
    assert to_log("x") == "x"  # the cache is built, knowing OLD only
    Secret.objects.filter(name="OLD").update(encrypted_value=secrets.encrypt("rotated-elsewhere"))
    result = engine.run(wf, {}, user)
    assert result.response == {"v": "rotated-elsewhere"}
    assert result.run.result == {"v": MASK}


def test_environment_secrets_are_masked(monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_FROM_ENV", "env-secret-value")
    secrets.invalidate()
    assert to_log({"a": ["see env-secret-value"]}) == {"a": [f"see {MASK}"]}


def test_one_compiled_pattern_is_reused_until_secrets_change():
    secrets.set_secret("A", "aaaa-value")
    first = masking.operator_masker()
    assert masking.operator_masker() is first
    secrets.set_secret("B", "bbbb-value")
    second = masking.operator_masker()
    assert second is not first and second.text("aaaa-value bbbb-value") == f"{MASK} {MASK}"


# --- masked by value, wherever the value goes (issue: values copied out of secrets) ---------


def test_a_parameter_named_like_a_secret_is_masked_where_its_value_is_copied(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "api_token", "type": "text"}, {"key": "name", "type": "text"}],
        actions=[
            {"type": "log", "message": "using {{ params.api_token }} for {{ params.name }}"},
            {"type": "return_data", "data": {"copy": "{{ params.api_token }}"}},
        ],
    )
    result = engine.run(wf, {"api_token": "tok-copied-123456", "name": "Ann"}, user)
    assert result.ok, result.error
    assert result.response == {"copy": "tok-copied-123456"}  # the caller gets what it asked
    assert result.run.params == {"api_token": MASK, "name": "Ann"}
    assert result.run.result == {"copy": MASK}
    assert result.run.steps.get(position=1).output == f"using {MASK} for Ann"
    assert "tok-copied-123456" not in logged(result.run)


def test_a_value_met_under_a_secret_key_is_masked_in_later_steps(
    make_workflow, user, httpserver, settings
):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    httpserver.expect_request("/login").respond_with_json({"access_token": "at-7f3e9a1b2c"})
    wf = make_workflow(
        actions=[
            {"id": "login", "type": "http_request", "url": httpserver.url_for("/login")},
            {"type": "log", "message": "got {{ steps.login.json.access_token }}"},
            {"type": "return_data", "data": {"t": "{{ steps.login.json.access_token }}"}},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert result.run.steps.get(position=1).output["json"] == {"access_token": MASK}
    assert result.run.steps.get(position=2).output == f"got {MASK}"
    assert result.run.result == {"t": MASK}
    assert "at-7f3e9a1b2c" not in logged(result.run)


def test_money_values_are_logged_when_operator_secrets_exist(make_workflow, user, order, token):
    """A Decimal (a DecimalField's value) went through the masker as a float: TypeError."""
    wf = make_workflow(
        actions=[
            {"id": "t", "type": "log", "message": "{{ search('examples.Order').first.total }}"},
            {
                "type": "return_data",
                "data": {"total": "{{ search('examples.Order').first.total }}"},
            },
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert result.response == {"total": 12.5}
    assert result.run.result == {"total": 12.5}


def test_counts_named_like_tokens_teach_nothing(make_workflow, user, httpserver, settings):
    """An OpenAI-style usage block: '2025' tokens must not blank every 2025 of the log."""
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    httpserver.expect_request("/ai").respond_with_json(
        {"usage": {"prompt_tokens": 2025, "total_tokens": "20252025"}, "token_type": "Bearer"}
    )
    wf = make_workflow(
        actions=[
            {"id": "ai", "type": "http_request", "url": httpserver.url_for("/ai")},
            {"type": "log", "message": "created 2025-06-01, Bearer 20252025 again"},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert result.run.steps.get(position=2).output == "created 2025-06-01, Bearer 20252025 again"


def test_a_value_is_masked_in_the_same_value_whatever_the_key_order():
    from workflows.masking import run_scope

    with run_scope():
        assert to_log({"echo": "s3cr3t-value-9", "access_token": "s3cr3t-value-9"}) == {
            "echo": MASK,
            "access_token": MASK,
        }


def test_learning_is_capped_per_run():
    from workflows.masking import MAX_LEARNED, current_masker, run_scope

    with run_scope():
        to_log({"tokens": [f"value-number-{i:06d}" for i in range(10_000)]})
        to_log({"token": [f"other-number-{i:06d}" for i in range(10_000)]})
        assert len(current_masker().exact) <= MAX_LEARNED + len(masking.operator_masker().exact)


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("access_token", True),
        ("X-Auth-Token", True),
        ("clientSecret", True),
        ("api_key", True),
        ("Authorization", True),
        ("password", True),
        ("prompt_tokens", False),
        ("max_tokens", False),
        ("secretary", False),
        ("token_count", True),
    ],
)
def test_which_names_are_secrets_to_learn(key, secret):
    assert masking.is_secret_name(key) is secret
