"""send_email goes out through Django's backend once the run commits, never before."""

from __future__ import annotations

import pytest
from django.core import mail

from workflows import engine

USER = [{"key": "user", "type": "thing", "data_type": "auth.User"}]


def test_sent_on_commit_with_rendered_fields(
    make_workflow, user, django_capture_on_commit_callbacks
):
    wf = make_workflow(
        parameters=USER,
        actions=[
            {
                "id": "mail",
                "type": "send_email",
                "to": "{{ params.user }}",
                "cc": "boss@example.com, other@example.com",
                "reply_to": "help@example.com",
                "subject": "Hi {{ params.user.username }}",
                "body": "Body for {{ params.user.email }}",
                "html": "<p>Hi</p>",
            },
            {"type": "return_data", "data": {"mail": "{{ steps.mail }}"}},
        ],
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = engine.run(wf, {"user": user.pk}, user)
    assert result.ok and mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["alice@example.com"] and message.cc == [
        "boss@example.com",
        "other@example.com",
    ]
    assert message.reply_to == ["help@example.com"]
    assert message.subject == "Hi alice" and message.body == "Body for alice@example.com"
    assert message.alternatives[0][0] == "<p>Hi</p>"
    assert result.response == {"mail": {"to": ["alice@example.com"], "subject": "Hi alice"}}


def test_nothing_is_sent_when_the_run_fails(
    make_workflow, user, django_capture_on_commit_callbacks
):
    wf = make_workflow(
        actions=[
            {"type": "send_email", "to": "a@example.com", "subject": "s", "body": "b"},
            {"type": "make_changes", "thing": "{{ current_user }}", "changes": {"email": "broken"}},
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = engine.run(wf, {}, user)
    assert not result.ok
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("to", "message"), [("not-an-address", "not a valid email"), ("", "no recipient")]
)
def test_bad_recipients_fail_the_step(make_workflow, user, to, message):
    wf = make_workflow(
        parameters=[{"key": "to", "type": "text", "optional": True}],
        actions=[{"type": "send_email", "to": "{{ params.to }}", "subject": "s", "body": "b"}],
    )
    result = engine.run(wf, {"to": to}, user)
    assert message in result.error.message


def test_delivery_failure_after_commit_is_written_on_the_step(
    make_workflow, user, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    wf = make_workflow(
        actions=[{"type": "send_email", "to": "a@example.com", "subject": "s", "body": "b"}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = engine.run(wf, {}, user)
    assert result.ok
    assert "email not delivered" in result.run.steps.get().error
