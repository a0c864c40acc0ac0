"""Security: a caller's parameters cannot inject email headers (Bcc, extra recipients)
through to, cc, reply_to or subject."""

from __future__ import annotations

import pytest
from django.core import mail

INJECTIONS = [
    "victim@example.com\nBcc: spam@evil.example",
    "victim@example.com\r\nBcc: spam@evil.example",
    "victim@example.com%0ABcc:spam@evil.example",
    '"victim\nBcc: spam@evil.example"@example.com',
    "Victim <victim@example.com>\nBcc: spam@evil.example",
]


@pytest.fixture
def mailer(make_workflow):
    return make_workflow(
        "mailer",
        expose=True,
        auth="none",
        parameters=[
            {"key": "to", "type": "text"},
            {"key": "subject", "type": "text", "optional": True},
            {"key": "cc", "type": "text", "optional": True},
            {"key": "reply_to", "type": "text", "optional": True},
        ],
        actions=[
            {
                "type": "send_email",
                "to": "{{ params.to }}",
                "cc": "{{ params.cc }}",
                "reply_to": "{{ params.reply_to }}",
                "subject": "Hello {{ params.subject }}",
                "body": "Hi",
            }
        ],
    )


@pytest.mark.parametrize("field", ["to", "cc", "reply_to"])
@pytest.mark.parametrize("value", INJECTIONS)
def test_newlines_in_addresses_fail_the_step_and_send_nothing(
    call, mailer, field, value, django_capture_on_commit_callbacks
):
    params = {"to": "ok@example.com", field: value}
    with django_capture_on_commit_callbacks(execute=True):
        response = call("mailer", params)
    assert response.status_code == 500
    assert "not a valid email address" in response.json()["message"]
    assert mail.outbox == []


def test_newlines_in_the_subject_stay_in_the_subject(
    call, mailer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            "mailer",
            {"to": "ok@example.com", "subject": "x\r\nBcc: spam@evil.example\nX-Evil: 1"},
        )
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.recipients() == ["ok@example.com"]
    raw = message.message().as_string()
    assert "\nBcc:" not in raw and "\nX-Evil:" not in raw
    assert message.subject == "Hello x Bcc: spam@evil.example X-Evil: 1"
