"""The editor's live check of a definition being edited: every problem at once, each with
the step and field it belongs to; each step's summary and result; what is in scope at
each step (for "insert dynamic data"); the next occurrences of a recurring schedule.

It compiles with ``compile_definition``, the one validator a save and an import use, so
what it reports is exactly what a save would refuse.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from ..actions import registry
from ..engine.compiler import compile_definition
from ..engine.kinds import Kind
from ..engine.scope import Scope, definition_scopes
from ..exceptions import DefinitionError, Issue

#: how many coming occurrences of a recurring schedule the editor shows
OCCURRENCES = 5


def check_definition(definition: Any) -> dict[str, Any]:
    """The check's answer, as JSON for the editor."""
    if not isinstance(definition, Mapping):
        return {"issues": [_issue(Issue((), "a workflow must be a mapping of keys to values"))]}
    issues: list[Issue] = []
    try:
        compile_definition(definition)
    except DefinitionError as exc:
        issues = exc.issues
    actions = definition.get("actions")
    actions = actions if isinstance(actions, list) else []
    scopes = definition_scopes(definition)
    return {
        "issues": [_issue(issue) for issue in issues],
        "steps": [
            _step(raw, scopes[i], scopes[i + 1] if i + 1 < len(scopes) else scopes[i])
            for i, raw in enumerate(actions)
        ],
        "scopes": [_scope_entries(scope) for scope in scopes],
        "schedule": schedule_preview(definition.get("schedule")),
    }


def _issue(issue: Issue) -> dict[str, Any]:
    """Where a problem is, as the editor finds it: the step (from 1) and the field."""
    path = list(issue.path)
    step = None
    field: list[str | int] = path
    if len(path) >= 2 and path[0] == "actions" and isinstance(path[1], int):
        step, field = path[1] + 1, path[2:]
    return {
        "path": path,
        "step": step,
        "field": ".".join(str(part) for part in field),
        "where": issue.where,
        "message": issue.message,
    }


def _step(raw: Any, before: Scope, after: Scope) -> dict[str, Any]:
    raw = raw if isinstance(raw, Mapping) else {}
    try:
        action = registry.get(raw.get("type"))
    except KeyError:
        return {"summary": "Choose what this step does", "result": None}
    result: Kind = after.steps[-1][1] if after.steps else Kind("any")
    return {"summary": action.summary(dict(raw)), "result": result.as_dict()}


def _scope_entries(scope: Scope) -> list[dict[str, Any]]:
    """What an expression at this place may start from: each parameter, earlier step's
    result (by id, and by number), ``current_user``, ``now``... with its kind."""
    entries: list[dict[str, Any]] = []

    def add(expression: str, label: str, kind: Kind, group: str) -> None:
        entries.append(
            {"expression": expression, "label": label, "group": group, "type": kind.as_dict()}
        )

    for key, kind in scope.params.items():
        add(f"params.{key}", key, kind, "Parameters")
    for number, (step_id, kind) in enumerate(scope.steps, start=1):
        if kind.name == "nothing":
            continue
        name = f"Result of step {number}"
        if step_id:
            add(f"steps.{step_id}", f"{name} ({step_id})", kind, "Results of earlier steps")
        else:
            add(f"steps[{number}]", name, kind, "Results of earlier steps")
    for name, kind in scope.extra.items():
        add(name, name, kind, "This workflow")
    names = scope.names()
    add("current_user", "Current user", names["current_user"], "This workflow")
    add("now", "Current date/time", names["now"], "This workflow")
    for key, kind in names["settings"].keys:
        add(f"settings.{key}", key, kind, "Settings")
    return entries


def schedule_preview(schedule: Any) -> dict[str, Any] | None:
    """The next occurrences of a recurring schedule, or why it cannot run."""
    if not schedule:
        return None
    from ..engine.compiler import schedule_validators

    try:
        for validate in schedule_validators:
            validate(schedule, ())
    except Exception as exc:  # noqa: BLE001 - the validators' message is the answer
        message = getattr(exc, "message", None) or str(exc)
        if "param" not in message:
            return {"error": message}
    return {"next": [moment.isoformat() for moment in _occurrences(schedule)]}


def _occurrences(schedule: Mapping[str, Any]) -> list[datetime.datetime]:
    """The next ``OCCURRENCES`` times a schedule fires (the scheduler's own arithmetic:
    ``engine.compiler.recurrence``, registered by the scheduler app)."""
    from ..engine.compiler import recurrence

    if recurrence is None:
        return []
    try:
        return recurrence(schedule, timezone.now(), OCCURRENCES)
    except Exception:  # noqa: BLE001 - a schedule that validates but cannot be stepped
        return []
