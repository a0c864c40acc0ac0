"""The editor's "Test run": the workflow as it is being edited, run by the real engine in a
transaction rolled back at the end, so nothing it does to the data stays; emails and calls
to other servers are recorded instead of sent (``engine.outbox``) unless the builder asks
to really send them.

Its answer is each step as the run log has it (condition, inputs, output, error), with
things linked to their admin pages, what would have been sent, and what the workflow
returned: what the editor shows under each step and beside each value (the value it had
in this run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from .. import data_types, engine
from ..choices import RunSource
from ..engine.compiler import compile_definition
from ..engine.outbox import test_run_outbox
from ..engine.serialize import to_log
from ..exceptions import DefinitionError, WorkflowError
from ..models import StepRun
from .checks import _issue


def trial_run(
    definition: Mapping[str, Any], params: Mapping[str, Any], *, user: Any, send: bool = False
) -> dict[str, Any]:
    """Run ``definition`` (unsaved edits included) with ``params`` as ``user``; undo it."""
    try:
        compiled = compile_definition(definition)
    except DefinitionError as exc:
        return {"status": "invalid", "issues": [_issue(issue) for issue in exc.issues]}
    with test_run_outbox(send=send) as outbox:
        with transaction.atomic():
            answer = _run(compiled, params, user)
            transaction.set_rollback(True)
        answer["outbox"] = {
            "sent": send,
            "emails": with_admin_links(to_log(outbox.emails)),
            "requests": with_admin_links(to_log(outbox.requests)),
        }
    return answer


def _run(compiled: Any, params: Mapping[str, Any], user: Any) -> dict[str, Any]:
    try:
        result = engine.run(compiled, params, user, source=RunSource.ADMIN)
    except WorkflowError as exc:  # a parameter refused: no run took place
        return {
            "status": "refused",
            "error": {"code": exc.code, "message": exc.message, "parameter": exc.parameter},
            "steps": [],
        }
    steps = StepRun.objects.filter(run_id=result.run.pk).order_by("position")
    answer: dict[str, Any] = {
        "status": result.run.status,
        "duration_ms": result.run.duration_ms,
        "response": with_admin_links(result.response),
        "steps": [_step(step) for step in steps],
    }
    if result.error is not None:
        answer["error"] = {
            "code": result.error.code,
            "message": result.error.message,
            "parameter": result.error.parameter,
        }
    return answer


def _step(step: StepRun) -> dict[str, Any]:
    return {
        "number": step.position,
        "id": step.step_id or None,
        "type": step.action_type,
        "status": step.status,
        "condition_result": step.condition_result,
        "inputs": with_admin_links(step.inputs),
        "output": with_admin_links(step.output),
        "error": step.error or None,
        "duration_ms": step.duration_ms,
    }


def with_admin_links(value: Any, depth: int = 0) -> Any:
    """``value`` with each thing (``{_type, _id, ...}``) given ``_url``, its admin page."""
    if depth > 12:
        return value
    if isinstance(value, list):
        return [with_admin_links(item, depth + 1) for item in value]
    if not isinstance(value, Mapping):
        return value
    out = {key: with_admin_links(item, depth + 1) for key, item in value.items()}
    if "_type" in out and "_id" in out:
        url = admin_url(str(out["_type"]), out["_id"])
        if url:
            out["_url"] = url
    return out


def admin_url(data_type: str, pk: Any) -> str | None:
    """The admin change page of a thing, when its data type has one."""
    try:
        model = data_types.get_model(data_type)
    except WorkflowError:
        return None
    if not admin.site.is_registered(model):
        return None
    meta = model._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None
