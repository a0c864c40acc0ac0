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
    assert result.response == {
        "mail": {
            "to": ["alice@example.com"],
            "cc": ["boss@example.com", "other@example.com"],
            "bcc": [],
            "subject": "Hi alice",
            "attachments": [],
        }
    }


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


INVOICE = [{"key": "invoice", "type": "file"}]


def test_bcc_a_sender_name_and_two_attachments_as_bubble_sends_them(
    make_workflow, user, django_capture_on_commit_callbacks, httpserver, settings, tmp_path
):
    """One attachment is a file uploaded to this project, the other a URL fetched through
    the outbound guard (pytest-httpserver listens on 127.0.0.1: allowed here)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workflows.models import StepRun

    settings.MEDIA_ROOT = str(tmp_path)
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    settings.DEFAULT_FROM_EMAIL = "noreply@example.com"
    httpserver.expect_request("/terms.pdf").respond_with_data(b"%PDF terms", status=200)
    wf = make_workflow(
        parameters=INVOICE,
        actions=[
            {
                "id": "mail",
                "type": "send_email",
                "to": "ann@example.com",
                "bcc": "audit@example.com, archive@example.com",
                "sender_name": "Acme\r\nBcc: evil@example.com support",
                "reply_to": "help@example.com, sales@example.com",
                "subject": "Your invoice",
                "body": "Plain text",
                "html": "<p>HTML</p>",
                "attachments": ["{{ params.invoice }}", httpserver.url_for("/terms.pdf")],
            }
        ],
    )
    upload = SimpleUploadedFile("invoice.txt", b"invoice 42", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        result = engine.run(wf, {"invoice": upload}, user)
    assert result.ok, result.error
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.bcc == ["audit@example.com", "archive@example.com"]
    assert message.from_email == '"Acme Bcc: evil@example.com support" <noreply@example.com>'
    assert message.reply_to == ["help@example.com", "sales@example.com"]
    assert message.body == "Plain text" and message.alternatives[0][0] == "<p>HTML</p>"
    as_bytes = [
        (a[0], a[1] if isinstance(a[1], bytes) else a[1].encode(), a[2])
        for a in message.attachments
    ]
    assert as_bytes == [
        ("invoice.txt", b"invoice 42", "text/plain"),
        ("terms.pdf", b"%PDF terms", "application/pdf"),
    ]
    logged = StepRun.objects.get().output
    assert logged["bcc"] == ["audit@example.com", "archive@example.com"]
    assert logged["attachments"] == [
        {"name": "invoice.txt", "size": 10},
        {"name": "terms.pdf", "size": 10},
    ]
    assert "invoice 42" not in str(logged) and "PDF" not in str(logged)


def test_attachments_past_the_limit_fail_the_step_clearly(
    make_workflow, user, httpserver, settings
):
    settings.BUBBLE = {
        **settings.BUBBLE,
        "HTTP_ALLOW_PRIVATE": True,
        "EMAIL_ATTACHMENTS_MAX_BYTES": 1000,
    }
    httpserver.expect_request("/big.zip").respond_with_data(b"x" * 1500)
    wf = make_workflow(
        actions=[
            {
                "type": "send_email",
                "to": "ann@example.com",
                "subject": "s",
                "body": "b",
                "attachments": httpserver.url_for("/big.zip"),
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok
    assert "attachments: big.zip: the attachments are over 1,000 bytes in all" in (
        result.error.message
    )
    assert mail.outbox == []


def test_an_attachment_on_a_private_address_is_refused_by_the_guard(make_workflow, user):
    wf = make_workflow(
        actions=[
            {
                "type": "send_email",
                "to": "ann@example.com",
                "subject": "s",
                "body": "b",
                "attachments": "http://169.254.169.254/latest/meta-data/",
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and "attachments:" in result.error.message and mail.outbox == []


def test_a_written_out_address_is_checked_when_the_workflow_is_saved(make_workflow):
    from workflows.exceptions import DefinitionError

    with pytest.raises(DefinitionError, match="bcc"):
        make_workflow(
            actions=[
                {
                    "type": "send_email",
                    "to": "ann@example.com",
                    "bcc": "not an address",
                    "subject": "s",
                    "body": "b",
                }
            ]
        )


def test_a_compressed_answer_and_a_name_with_line_breaks_are_handled(httpserver, settings):
    """A server sending gzip despite 'identity' is refused (no zip bomb in memory); a
    name that would break the header is cleaned."""
    from workflows.actions.attachments import attachments
    from workflows.exceptions import WorkflowError

    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    httpserver.expect_request("/bomb.bin").respond_with_data(
        b"\x1f\x8b...", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(WorkflowError, match="sent compressed"):
        attachments(httpserver.url_for("/bomb.bin"))
    httpserver.expect_request("/ok.txt").respond_with_data(b"fine")
    [file] = attachments({"url": httpserver.url_for("/ok.txt"), "name": "a\r\nBcc: x.txt"})
    assert file.name == "aBcc: x.txt" and file.content == b"fine"


def test_an_email_with_attachments_is_said_to_wait_on_the_network(make_workflow):
    from workflows.engine.advice import workflow_advice
    from workflows.engine.cache import get_compiled

    wf = make_workflow(
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Product",
                "fields": {"name": "x", "price": 1},
            },
            {
                "type": "send_email",
                "to": "a@example.com",
                "subject": "s",
                "body": "b",
                "attachments": "https://example.com/terms.pdf",
            },
        ]
    )
    advice = workflow_advice(get_compiled(wf), vendor="sqlite")
    assert any("waits for another server" in a for a in advice)
