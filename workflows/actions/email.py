"""``send_email``: through Django's email backend, once the run's transaction commits.

A run that fails after this step sends nothing. Delivery problems after the commit are
written onto the step in the run log.
"""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import models, transaction

from .. import data_types
from ..engine import kinds
from ..engine.kinds import Kind
from ..engine.outbox import current_outbox
from ..engine.values_types import ThingList
from ..exceptions import WorkflowError
from ..masking import mask_text
from .attachments import attachments
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

logger = logging.getLogger("workflows.email")
MAX_RECIPIENTS = 100
#: the keys holding addresses, each checked alike
RECIPIENT_KEYS = ("to", "cc", "bcc", "reply_to")


def sender(name: Any) -> str:
    """``DEFAULT_FROM_EMAIL``, under ``name`` when one is given ("Acme support" <...>)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    text = " ".join(str(name or "").split())[:200]  # one line: no header can be added
    return formataddr((text, address)) if text else settings.DEFAULT_FROM_EMAIL


def recipients(value: Any, key: str) -> list[str]:
    """Addresses from text (comma-separated), things with an ``email`` field, or lists."""
    if value is None or value == "":
        return []
    if isinstance(value, ThingList):
        value = list(value)
    items = value if isinstance(value, list | tuple) else [value]
    addresses: list[str] = []
    for item in items:
        if isinstance(item, models.Model):
            address = getattr(item, "email", None)
            if not address:
                raise WorkflowError(
                    f"{key}: {data_types.label_of(item)} {item.pk} has no email address"
                )
            addresses.append(str(address))
        elif isinstance(item, str):
            addresses.extend(part.strip() for part in item.split(",") if part.strip())
        else:
            raise WorkflowError(f"{key}: expected an email address, got {type(item).__name__}")
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise WorkflowError(f"{key}: {address!r} is not a valid email address") from None
    if len(addresses) > MAX_RECIPIENTS:
        raise WorkflowError(f"{key}: {len(addresses)} recipients; at most {MAX_RECIPIENTS}")
    return addresses


@register
class SendEmail(ActionType):
    name = "send_email"
    summary_template = "Send an email to {to}: {subject}"
    label = "Send an email"
    family = "email"
    description = (
        "Sends an email with the configured Django email backend when the run commits "
        "(a run that fails sends nothing)."
    )
    example = """- type: send_email
  to: "{{ params.order.customer.email }}"
  subject: "Order {{ params.order.id }} confirmed"
  body: "Thanks {{ params.order.customer.name }}!\""""
    fields = (
        ConfigField(
            "to",
            help_text="An address, several separated by commas, a user or a list of them.",
            example="{{ params.user.email }}",
        ),
        ConfigField("subject", FieldKind.TEXT, example="Your code is {{ steps.code.code }}"),
        ConfigField(
            "body",
            FieldKind.TEXT,
            multiline=True,
            help_text="Plain-text body.",
            example="Hello {{ params.user.first_name }},",
        ),
        ConfigField(
            "html",
            FieldKind.TEXT,
            required=False,
            multiline=True,
            help_text="Optional HTML body, sent as an alternative.",
        ),
        ConfigField("cc", required=False, help_text="Copy to (same forms as 'to')."),
        ConfigField(
            "bcc", required=False, help_text="Blind copy to: recipients the others do not see."
        ),
        ConfigField("reply_to", required=False, help_text="Reply-to address(es)."),
        ConfigField(
            "sender_name",
            FieldKind.TEXT,
            required=False,
            help_text="The name the email comes from (its address is DEFAULT_FROM_EMAIL's).",
            example="Acme support",
        ),
        ConfigField(
            "attachments",
            required=False,
            help_text="Files to attach: a file (a file parameter, a thing's file field), a "
            "URL, or a list of them; at most EMAIL_ATTACHMENTS_MAX_BYTES in all.",
            example="{{ params.invoice }}",
        ),
    )

    def waits_for_network(self, config: dict[str, Any]) -> bool:
        """Attachments given as URLs are fetched while the step runs (its transaction open:
        on SQLite other writes wait); files of this project's storage are read locally."""
        return bool(config.get("attachments"))

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        """Addresses written out (no expression) are checked when the workflow is saved."""
        for key in RECIPIENT_KEYS:
            value = config.get(key)
            if isinstance(value, str) and value.strip() and "{{" not in value:
                try:
                    recipients(value, key)
                except WorkflowError as exc:
                    raise ConfigError(key, exc.message.split(": ", 1)[-1]) from None

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        addresses = Kind.list_of(kinds.TEXT)
        files = Kind.list_of(Kind.object({"name": kinds.TEXT, "size": kinds.WHOLE_NUMBER}))
        return Kind.object(
            {
                "to": addresses,
                "cc": addresses,
                "bcc": addresses,
                "subject": kinds.TEXT,
                "attachments": files,
            }
        )

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        to = recipients(inputs["to"], "to")
        if not to:
            raise WorkflowError("to: no recipient (the value is empty)")
        subject = " ".join(str(inputs["subject"]).splitlines())[:998]
        cc, bcc = recipients(inputs.get("cc"), "cc"), recipients(inputs.get("bcc"), "bcc")
        files = attachments(inputs.get("attachments"))
        message = EmailMultiAlternatives(
            subject=subject,
            body=str(inputs["body"]),
            from_email=sender(inputs.get("sender_name")),
            to=to,
            cc=cc,
            bcc=bcc,
            reply_to=recipients(inputs.get("reply_to"), "reply_to"),
        )
        if inputs.get("html"):
            message.attach_alternative(str(inputs["html"]), "text/html")
        for file in files:
            message.attach(file.name, file.content, file.mimetype)
        send_on_commit(message, run)
        return {
            "to": to,
            "cc": cc,
            "bcc": bcc,
            "subject": subject,
            "attachments": [file.logged() for file in files],  # never their content
        }


def send_on_commit(message: EmailMultiAlternatives, run: Any, *, masked: bool = False) -> None:
    """Send ``message`` once the transaction holding the run's step commits (nothing if it
    rolls back); in a test run, record it instead (and send it only if asked), its text
    ``masked`` like the run log where it carries a credential (a password-reset link)."""
    outbox = current_outbox()
    if outbox is not None:  # a test run: never committed; recorded, sent if asked
        show = mask_text if masked else str
        outbox.emails.append(
            {
                "to": message.to,
                "cc": message.cc,
                "bcc": message.bcc,
                "subject": show(message.subject),
                "body": show(message.body),
                "attachments": [a[0] for a in message.attachments if isinstance(a, tuple)],
            }
        )
        if outbox.send:
            _deliver(message, run.current_step)
        return
    transaction.on_commit(partial(_deliver, message, run.current_step))


def _deliver(message: EmailMultiAlternatives, step: Any) -> None:
    try:
        message.send()
    except Exception as exc:  # the step has committed; record the failure on it
        logger.exception("email to %s failed", message.to)
        if step is None:
            return
        note = mask_text(f"email not delivered: {exc}")
        if step._state.adding:
            # its run is still going (the workflow saves changes after each step): the
            # step is written with the run's log, note included
            step.error = note
            return
        # the log's steps are written without reading their ids back
        # (workflows/statements.py): a step is its run and position
        type(step).objects.filter(run_id=step.run_id, position=step.position).update(error=note)
