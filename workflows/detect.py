""" "Detect data", as Bubble's "Detect request data": a builder asks for it in the admin,
the next request to ``/api/1.1/wf/<name>/initialize`` is captured (and answered 200 without
running anything), and the parameters it carried are proposed with the types their values
suggest, for the builder to accept or edit (docs/api.md#detect-data-initialize).

Nothing is guessed that a value cannot show: a number that happens to be an existing id
stays a number (the builder picks "a thing" if it is one), an object stays text.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from . import conf
from .definitions import workflow_definition
from .editor.saving import workflow_save_edited
from .engine.compiler import KEY_RE
from .models import DataCapture, Workflow
from .request_headers import shown_headers

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Proposal:
    """A parameter the captured request suggests."""

    key: str
    type: str
    is_list: bool
    example: str
    source: str  # "body", "query" or "files"
    exists: bool  # the workflow has a parameter of that key already
    #: proposed as read from the URL only (Bubble's "Querystring"): it came in the query
    #: string alone, to a workflow that reads its URL
    querystring: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def waiting_or_captured(
    workflow: Workflow, now: datetime.datetime | None = None
) -> DataCapture | None:
    """The workflow's capture, unless it expired (an expired one is deleted here)."""
    now = now or timezone.now()
    DataCapture.objects.filter(workflow=workflow, expires_at__lte=now).delete()
    return DataCapture.objects.filter(workflow=workflow).first()


def start(workflow: Workflow, user: Any, now: datetime.datetime | None = None) -> DataCapture:
    """Wait for the next request to the workflow's ``/initialize`` (replacing any capture)."""
    now = now or timezone.now()
    with transaction.atomic():
        DataCapture.objects.filter(workflow=workflow).delete()
        return DataCapture.objects.create(
            workflow=workflow,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            requested_at=now,
            expires_at=now + datetime.timedelta(seconds=conf.get("DETECT_DATA_WAIT")),
        )


def stop(workflow: Workflow) -> None:
    DataCapture.objects.filter(workflow=workflow).delete()


def capture(
    workflow: Workflow,
    *,
    body: Mapping[str, Any],
    query: Mapping[str, Any],
    headers: Mapping[str, str],
    files: list[str],
    now: datetime.datetime | None = None,
) -> bool:
    """Keep this request if the workflow is waiting for one; whether it was kept. One
    request is kept: a second call finds nothing waiting."""
    now = now or timezone.now()
    data = {
        "body": dict(body),
        "query": dict(query),
        "headers": shown_headers(headers),
        "files": list(files),
    }
    kept = DataCapture.objects.filter(
        workflow=workflow, captured_at__isnull=True, expires_at__gt=now
    ).update(
        captured_at=now,
        data=data,
        expires_at=now + datetime.timedelta(seconds=conf.get("DETECT_DATA_KEEP")),
    )
    return kept == 1


def proposals(workflow: Workflow, captured: DataCapture) -> list[Proposal]:
    """The parameters the captured request carried, body first, with detected types; those
    sent only in the query string are proposed as read from it (``querystring``)."""
    data = captured.data or {}
    existing = {p.key for p in workflow.parameters.all()}
    url_read = not workflow.webhook  # a signed webhook reads nothing but its body
    found: dict[str, Proposal] = {}
    for key in data.get("files", []):
        found[key] = Proposal(key, "file", False, "(a file)", "files", key in existing)
    for source in ("body", "query"):
        for key, value in (data.get(source) or {}).items():
            if key in found or not KEY_RE.match(key):
                continue
            in_query = source == "query"  # a key also in the body came from there: it wins
            kind, is_list = detect_type(value, from_query=in_query)
            found[key] = Proposal(
                key,
                kind,
                is_list,
                _example(value),
                source,
                key in existing,
                querystring=in_query and url_read,
            )
    return list(found.values())


def detect_type(value: Any, *, from_query: bool = False) -> tuple[str, bool]:
    """``(type, is_list)`` a value suggests. Query-string values are all text on the wire,
    so there digits read as a number and true/false as yes/no; in JSON a text stays text
    unless it is an ISO 8601 date."""
    if isinstance(value, list):
        items = [v for v in value if v is not None]
        return (detect_type(items[0], from_query=from_query)[0] if items else "text"), True
    if isinstance(value, bool):
        return "yes_no", False
    if isinstance(value, int | float):
        return "number", False
    if isinstance(value, str):
        text = value.strip()
        if from_query and _NUMBER.match(text):
            return "number", False
        if from_query and text.lower() in ("true", "false"):
            return "yes_no", False
        if _is_iso_date(text):
            return "date", False
    return "text", False


def accept(workflow: Workflow, chosen: list[dict[str, Any]], user: Any) -> Workflow:
    """Add the chosen parameters to the workflow (its definition saved as the editor saves
    it: checked whole, audited) and end the detection."""
    definition = workflow_definition(workflow)
    parameters = list(definition.get("parameters") or [])
    taken = {p["key"] for p in parameters}
    for row in chosen:
        if row["key"] in taken:
            continue
        parameter: dict[str, Any] = {"key": row["key"], "type": row["type"]}
        if row.get("data_type"):
            parameter["data_type"] = row["data_type"]
        if row.get("is_list"):
            parameter["list"] = True
        if row.get("optional"):
            parameter["optional"] = True
        if row.get("querystring"):
            parameter["querystring"] = True
        parameters.append(parameter)
        taken.add(row["key"])
    definition["parameters"] = parameters
    saved, _ = workflow_save_edited(workflow=workflow, definition=definition, user=user)
    stop(saved)
    return saved


def _is_iso_date(text: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        return bool(parse_datetime(text) or parse_date(text))
    except ValueError:
        return False


def _example(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."
