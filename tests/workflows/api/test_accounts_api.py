"""Accounts over the API, as a mobile app moving off Bubble uses them: sign up or log in
through a workflow, get Bubble's ``{token, user_id, expires}``, then call workflows and the
Data API with ``Authorization: Bearer <token>``; the password and token never reach a log."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from workflows.models import Run, StepRun, UserToken

User = get_user_model()
STRONG = "correct-horse-battery-9"
EMAIL_PASSWORD = [{"key": "email", "type": "text"}, {"key": "password", "type": "text"}]


@pytest.fixture
def accounts(make_workflow, db):
    make_workflow(
        "signup",
        expose=True,
        auth="none",
        parameters=EMAIL_PASSWORD,
        actions=[
            {"type": "sign_up", "email": "{{ params.email }}", "password": "{{ params.password }}"}
        ],
    )
    make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=[*EMAIL_PASSWORD, {"key": "remember", "type": "yes_no", "optional": True}],
        actions=[
            {
                "type": "log_user_in",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
                "stay_logged_in": "{{ params.remember }}",
            }
        ],
    )
    make_workflow("logout", expose=True, auth="user", actions=[{"type": "log_user_out"}])
    make_workflow(
        "whoami",
        expose=True,
        auth="user",
        actions=[{"type": "return_data", "data": {"me": "{{ current_user.email }}"}}],
    )


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_sign_up_then_call_a_workflow_and_the_data_api_with_the_token(accounts, call, api):
    answer = call("signup", {"email": "Ann@Example.com", "password": STRONG})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    user = User.objects.get()
    assert body == {
        "status": "success",
        "response": {"token": body["response"]["token"], "user_id": user.pk, "expires": 86400},
    }
    token = body["response"]["token"]

    me = call("whoami", key=token)
    assert me.status_code == 200 and me.json()["response"] == {"me": "ann@example.com"}
    assert Run.objects.filter(workflow_name="whoami").get().actor == user

    mine = api.get(f"/api/1.1/obj/auth.user/{user.pk}", **bearer(token))
    assert mine.status_code == 200 and mine.json()["response"]["email"] == "ann@example.com"
    made = api.post(
        "/api/1.1/obj/examples.customer",
        {"name": "Ann", "email": "ann@example.com", "user": user.pk},
        format="json",
        **bearer(token),
    )
    assert made.status_code == 201


def test_log_in_then_call_and_log_out(accounts, call, user):
    answer = call("login", {"email": "ALICE@example.com", "password": "pw-alice-123"})
    assert answer.status_code == 200, answer.json()
    token = answer.json()["response"]["token"]
    assert call("whoami", key=token).json()["response"] == {"me": "alice@example.com"}
    out = call("logout", key=token)
    assert out.status_code == 200 and out.json()["response"] == {}
    refused = call("whoami", key=token)
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]


def test_stay_logged_in_answers_a_year(accounts, call, user):
    answer = call("login", {"email": user.email, "password": "pw-alice-123", "remember": True})
    assert answer.json()["response"]["expires"] == 365 * 24 * 3600


def test_a_wrong_password_and_an_unknown_email_answer_the_same(accounts, call, user):
    wrong = call("login", {"email": user.email, "password": "not-the-password"})
    unknown = call("login", {"email": "nobody@example.com", "password": "pw-alice-123"})
    for answer in (wrong, unknown):
        assert answer.status_code == 400 and answer.json()["code"] == "LOGIN_FAILED"
    drop = ("run",)
    assert {k: v for k, v in wrong.json().items() if k not in drop} == {
        k: v for k, v in unknown.json().items() if k not in drop
    }


def test_too_many_failed_log_ins_answer_429_with_retry_after(accounts, call, user, settings):
    settings.BUBBLE = {**settings.BUBBLE, "LOGIN_THROTTLE_EMAIL": "2/min"}
    for _ in range(2):
        assert call("login", {"email": user.email, "password": "nope-nope"}).status_code == 400
    refused = call("login", {"email": user.email, "password": "pw-alice-123"})
    assert refused.status_code == 429 and refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert refused["Retry-After"] == "60"


def test_failed_log_ins_are_throttled_per_client_address(accounts, call, user, settings):
    settings.BUBBLE = {
        **settings.BUBBLE,
        "LOGIN_THROTTLE_EMAIL": "0",
        "LOGIN_THROTTLE_ADDRESS": "2/min",
    }
    for n in range(2):
        call("login", {"email": f"x{n}@example.com", "password": "x"}, REMOTE_ADDR="10.0.0.7")
    here = call("login", {"email": user.email, "password": "pw-alice-123"}, REMOTE_ADDR="10.0.0.7")
    assert here.status_code == 429
    there = call("login", {"email": user.email, "password": "pw-alice-123"}, REMOTE_ADDR="10.0.0.8")
    assert there.status_code == 200


def test_a_duplicate_email_and_a_weak_password_are_the_caller_s_400(accounts, call, user):
    taken = call("signup", {"email": "Alice@Example.com", "password": STRONG})
    assert taken.status_code == 400
    assert (taken.json()["code"], taken.json()["parameter"]) == ("INVALID_PARAMETER", "email")
    weak = call("signup", {"email": "new@example.com", "password": "abc"})
    assert (weak.json()["code"], weak.json()["parameter"]) == ("INVALID_PARAMETER", "password")
    assert "password: This password is too short." in weak.json()["message"]
    assert User.objects.count() == 1


def test_return_data_wins_over_the_log_in(make_workflow, call):
    make_workflow(
        "signup-mine",
        expose=True,
        auth="none",
        parameters=EMAIL_PASSWORD,
        actions=[
            {
                "id": "s",
                "type": "sign_up",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
            },
            {"type": "return_data", "data": {"id": "{{ steps.s.user_id }}"}},
        ],
    )
    answer = call("signup-mine", {"email": "x@example.com", "password": STRONG})
    assert answer.json()["response"] == {"id": User.objects.get().pk}


def test_a_log_in_inside_a_custom_event_is_answered_by_the_api_workflow(make_workflow, call, user):
    make_workflow(
        "do-login",
        kind="custom_event",
        parameters=EMAIL_PASSWORD,
        actions=[
            {
                "type": "log_user_in",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
            }
        ],
    )
    make_workflow(
        "login-via-event",
        expose=True,
        auth="none",
        parameters=EMAIL_PASSWORD,
        actions=[
            {
                "type": "trigger_custom_event",
                "workflow": "do-login",
                "params": {"email": "{{ params.email }}", "password": "{{ params.password }}"},
            }
        ],
    )
    answer = call("login-via-event", {"email": user.email, "password": "pw-alice-123"})
    assert set(answer.json()["response"]) == {"token", "user_id", "expires"}


def test_the_run_log_never_holds_the_password_or_the_token(accounts, call, api, user):
    signed = call("signup", {"email": "bo@example.com", "password": STRONG}).json()
    logged = call("login", {"email": "bo@example.com", "password": STRONG}).json()
    call("login", {"email": "bo@example.com", "password": "wrong-" + STRONG})
    secrets = [STRONG, signed["response"]["token"], logged["response"]["token"]]
    log = json.dumps(
        [[run.params, run.result, run.error_message] for run in Run.objects.all()]
        + [[step.inputs, step.output, step.error] for step in StepRun.objects.all()]
    )
    for secret in secrets:
        assert secret not in log
    assert '"password": "********"' in log and '"token": "********"' in log


def test_the_data_api_creates_a_user_with_a_hashed_password(api, user, key):
    made = api.post(
        "/api/1.1/obj/auth.user",
        {"username": "cy", "email": "cy@example.com", "password": STRONG},
        format="json",
        **bearer(key),
    )
    assert made.status_code == 201, made.json()
    cy = User.objects.get(username="cy")
    assert cy.password != STRONG and cy.check_password(STRONG)
    bare = api.post(
        "/api/1.1/obj/auth.user", {"username": "dee", "email": "dee@example.com"}, **bearer(key)
    )
    assert bare.status_code == 201
    assert not User.objects.get(username="dee").has_usable_password()


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ({"username": "e", "email": "e@example.com", "password": "123"}, "password", "too short"),
        ({"username": "f", "email": "ALICE@example.com"}, "email", "already a user"),
    ],
)
def test_the_data_api_refuses_weak_passwords_and_taken_emails(
    api, user, key, body, parameter, message
):
    refused = api.post("/api/1.1/obj/auth.user", body, format="json", **bearer(key))
    assert refused.status_code == 400
    assert refused.json()["parameter"] == parameter and message in refused.json()["message"]
    assert User.objects.count() == 1


def test_the_data_api_never_changes_a_password(api, user, key):
    refused = api.patch(
        f"/api/1.1/obj/auth.user/{user.pk}", {"password": STRONG}, format="json", **bearer(key)
    )
    assert refused.status_code == 400 and refused.json()["parameter"] == "password"
    user.refresh_from_db()
    assert user.check_password("pw-alice-123")


def test_the_data_api_refuses_a_taken_email_on_change(api, user, other_user, key):
    refused = api.patch(
        f"/api/1.1/obj/auth.user/{user.pk}", {"email": "BOB@example.com"}, **bearer(key)
    )
    assert refused.status_code == 400 and refused.json()["parameter"] == "email"


def test_tokens_are_not_made_by_a_failed_run(accounts, call, user):
    call("login", {"email": user.email, "password": "wrong-password"})
    assert not UserToken.objects.exists()
