"""The editor's "Test run": the workflow as it is being edited, run by the real engine in a
transaction rolled back at the end, so nothing it does to the data stays; emails and calls
to other servers are recorded instead of sent (``engine.outbox``) unless the builder asks
to really send them.

A database trigger's run is given ``thing`` and ``thing_before`` as a change gives them:
the builder picks them (either may be empty: a thing deleted, a thing just created), so a
trigger can be tried on a thing without changing it.

Its answer is each step as the run log has it (condition, inputs, output, error), with
things linked to their admin pages, what would have been sent, and what the workflow
returned: what the editor shows under each step and beside each value (the value it had
in this run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from .. import data_types, engine
from ..choices import RunSource, WorkflowKind
from ..engine.compiler import compile_definition
from ..engine.outbox import test_run_outbox
from ..engine.serialize import to_log
from ..exceptions import DefinitionError, ThingNotFound, WorkflowError
from ..models import StepRun
from ..privacy.access import DataAccess
from .checks import _issue


def trial_run(
    definition: Mapping[str, Any],
    params: Mapping[str, Any],
    *,
    user: Any,
    send: bool = False,
    things: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``definition`` (unsaved edits included) with ``params`` as ``user``; undo it.
    ``things``: a trigger's ``thing`` and ``thing_before``, by id."""
    try:
        compiled = compile_definition(definition)
    except DefinitionError as exc:
        return {"status": "invalid", "issues": [_issue(issue) for issue in exc.issues]}
    with test_run_outbox(send=send) as outbox:
        with transaction.atomic():
            try:
                extra = _trigger_things(compiled, things or {}, user)
            except WorkflowError as exc:
                answer = _refused(exc)
            else:
                answer = _run(compiled, params, user, extra)
            transaction.set_rollback(True)
        answer["outbox"] = {
            "sent": send,
            "emails": with_admin_links(to_log(outbox.emails)),
            "requests": with_admin_links(to_log(outbox.requests)),
        }
    return answer


def _trigger_things(compiled: Any, things: Mapping[str, Any], user: Any) -> dict[str, Any]:
    """A trigger's ``thing`` and ``thing_before`` (None when not picked), found as a thing
    parameter is: among the things ``user`` may fetch; nothing for other kinds."""
    if compiled.kind != WorkflowKind.TRIGGER:
        return {}
    model = data_types.get_model(compiled.data_type)
    reachable = DataAccess(user, ignore_privacy=compiled.ignore_privacy).reachable(model)
    found: dict[str, Any] = {}
    for name in ("thing", "thing_before"):
        pk = things.get(name)
        if pk in (None, ""):
            found[name] = None
            continue
        try:
            found[name] = reachable.filter(pk=pk).first()
        except (TypeError, ValueError, ValidationError):  # not an id of this data type
            found[name] = None
        if found[name] is None:
            raise ThingNotFound(f"no {compiled.data_type} with id {pk!r}", parameter=name)
    return found


def _refused(exc: WorkflowError) -> dict[str, Any]:
    """A test run refused before it started (a parameter, a trigger's thing)."""
    return {
        "status": "refused",
        "error": {"code": exc.code, "message": exc.message, "parameter": exc.parameter},
        "steps": [],
    }


def _run(
    compiled: Any, params: Mapping[str, Any], user: Any, extra: Mapping[str, Any]
) -> dict[str, Any]:
    try:
        # undone: its failure is nobody's to hear of (no error workflow, no alert)
        result = engine.run(
            compiled, params, user, source=RunSource.ADMIN, extra=extra, final=False
        )
    except WorkflowError as exc:  # a parameter refused: no run took place
        return _refused(exc)
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
