"""``send_email``: through Django's email backend, once the run's transaction commits.

A run that fails after this step sends nothing. Delivery problems after the commit are
written onto the step in the run log.
"""

from __future__ import annotations

import logging
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
from .registry import ActionType, ConfigField, FieldKind, register

logger = logging.getLogger("workflows.email")
MAX_RECIPIENTS = 100


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
        ConfigField("reply_to", required=False, help_text="Reply-to address(es)."),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return Kind.object({"to": Kind.list_of(kinds.TEXT), "subject": kinds.TEXT})

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        to = recipients(inputs["to"], "to")
        if not to:
            raise WorkflowError("to: no recipient (the value is empty)")
        subject = " ".join(str(inputs["subject"]).splitlines())[:998]
        message = EmailMultiAlternatives(
            subject=subject,
            body=str(inputs["body"]),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
            cc=recipients(inputs.get("cc"), "cc"),
            reply_to=recipients(inputs.get("reply_to"), "reply_to"),
        )
        if inputs.get("html"):
            message.attach_alternative(str(inputs["html"]), "text/html")
        send_on_commit(message, run)
        return {"to": to, "subject": subject}


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
                "subject": show(message.subject),
                "body": show(message.body),
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
