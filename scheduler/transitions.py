"""A scheduled run's guarded status change as one UPDATE statement.

Every arrow of a scheduled run's life (see ``models``) is an ``UPDATE ... WHERE id = %s AND
status = <from> [AND attempts = <n>]``. A worker makes two per run, the claim and
"succeeded"; through ``QuerySet.update`` each costs more Python than the database spends on
it, so the statement is built once per process (workflows/statements.py). The guard, and so
the atomicity of the claim, is the same statement's ``WHERE``; ``QuerySet.update`` sends no
signals, so none are lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.statements import update

from .models import ScheduledRun


def transition(pk: Any, from_status: str, attempts: int | None, changes: Mapping[str, Any]) -> bool:
    """Apply ``changes`` (field names to values; a related field takes an instance or its
    id) to run ``pk`` if it is in ``from_status`` (and at ``attempts``, when not None);
    whether it was."""
    guards: dict[str, Any] = {"status": from_status}
    if attempts is not None:
        guards["attempts"] = attempts
    return update(ScheduledRun, pk, changes, guards)
