"""The definition audit trail: who changed which workflow, privacy rule or secret, when, and
what it was before and after (``DefinitionChange`` rows, read in the admin).

Callers record a change after writing it, inside the same transaction, so a change that
rolls back leaves no record. ``before`` / ``after`` are plain JSON (a workflow's exported
definition, a rule's fields); secret values never go in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model

from .definitions import workflow_definition
from .models import DefinitionChange, Workflow

Kind = DefinitionChange.Kind
Action = DefinitionChange.Action


def record_change(
    *,
    kind: str,
    name: str,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    user: Any,
    source: str,
) -> DefinitionChange | None:
    """Record one change; nothing (and None) when a "changed" left the definition as it was.

    ``user`` may be None or anonymous (an import from the command line, code); the username
    is kept too, so the record still says who after the user is deleted.
    """
    if action == Action.CHANGED and before == after:
        return None
    actor = user if isinstance(user, Model) and user.pk is not None else None
    return DefinitionChange.objects.create(
        kind=kind,
        name=name[:200],
        action=action,
        user=actor,
        username=actor.get_username() if actor is not None else "",
        source=source,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )


def workflow_snapshot(pk: Any) -> dict[str, Any] | None:
    """The stored workflow's definition as the database has it now (not a cached copy of its
    parameters and actions); None when there is no such workflow."""
    workflow = Workflow.objects.filter(pk=pk).prefetch_related("parameters", "actions").first()
    return workflow_definition(workflow) if workflow is not None else None
