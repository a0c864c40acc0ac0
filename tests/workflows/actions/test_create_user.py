"""create_thing of the user data type: a password given is validated and hashed, none gives
an unusable one, and emails stay unique in any case (docs/actions.md#create_thing)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from workflows import engine
from workflows.models import StepRun

User = get_user_model()
STRONG = "correct-horse-battery-9"


@pytest.fixture
def new_user(make_workflow):
    return make_workflow(
        "new-user",
        parameters=[
            {"key": "name", "type": "text"},
            {"key": "email", "type": "text"},
            {"key": "password", "type": "text", "optional": True},
        ],
        actions=[
            {
                "type": "create_thing",
                "data_type": "auth.User",
                "fields": {
                    "username": "{{ params.name }}",
                    "email": "{{ params.email }}",
                    "password": "{{ params.password }}",
                },
            }
        ],
    )


def test_without_a_password_the_user_cannot_log_in(make_workflow):
    wf = make_workflow(
        actions=[{"type": "create_thing", "data_type": "auth.User", "fields": {"username": "cy"}}]
    )
    result = engine.run(wf)
    assert result.ok, result.error  # it used to fail: "password: This field cannot be blank"
    assert not User.objects.get().has_usable_password()


def test_an_empty_password_is_no_password(new_user):
    assert engine.run(new_user, {"name": "cy", "email": "cy@example.com", "password": ""}).ok
    assert not User.objects.get().has_usable_password()


def test_a_password_is_hashed_and_never_logged(new_user):
    result = engine.run(new_user, {"name": "cy", "email": "cy@example.com", "password": STRONG})
    assert result.ok, result.error
    user = User.objects.get()
    assert user.password != STRONG and user.check_password(STRONG)
    step = StepRun.objects.get()
    assert step.inputs["fields"]["password"] == "********"
    assert STRONG not in str(step.inputs) + str(result.run.params)


def test_a_weak_password_is_the_caller_s_error_naming_the_rule(new_user):
    result = engine.run(new_user, {"name": "cy", "email": "cy@example.com", "password": "abc"})
    assert (result.error.code, result.error.parameter) == ("INVALID_PARAMETER", "password")
    assert "password: This password is too short." in result.error.message
    assert not User.objects.exists()


def test_a_taken_email_in_any_case_is_refused(new_user, user):
    result = engine.run(new_user, {"name": "cy", "email": "Alice@EXAMPLE.com"})
    assert (result.error.code, result.error.parameter) == ("INVALID_PARAMETER", "email")
    assert "already a user with the email" in result.error.message


def test_make_changes_refuses_a_taken_email(make_workflow, user, other_user):
    wf = make_workflow(
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ current_user }}",
                "changes": {"email": "BOB@example.com"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert "already a user with the email 'BOB@example.com'" in result.error.message
    # its own email, in another case, is no clash
    wf2 = make_workflow(
        "own",
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ current_user }}",
                "changes": {"email": "ALICE@example.com"},
            }
        ],
    )
    assert engine.run(wf2, {}, user).ok


def test_users_without_an_email_do_not_clash(make_workflow):
    wf = make_workflow(
        parameters=[{"key": "name", "type": "text"}],
        actions=[
            {
                "type": "create_thing",
                "data_type": "auth.User",
                "fields": {"username": "{{ params.name }}"},
            }
        ],
    )
    assert engine.run(wf, {"name": "one"}).ok and engine.run(wf, {"name": "two"}).ok
