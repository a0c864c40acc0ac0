"""A scheduled run's guarded status change as one UPDATE statement.

Every arrow of a scheduled run's life (see ``models``) is an ``UPDATE ... WHERE id = %s AND
status = <from> [AND attempts = <n>]``: the guard, and so the atomicity of the claim, is
the statement's ``WHERE``. ``QuerySet.update`` sends no signals, so none are lost. (Written
through the ORM: a statement built by hand would save under 10% of a scheduled run,
docs/performance.md.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import ScheduledRun


def transition(pk: Any, from_status: str, attempts: int | None, changes: Mapping[str, Any]) -> bool:
    """Apply ``changes`` (field names to values; a related field takes an instance or its
    id) to run ``pk`` if it is in ``from_status`` (and at ``attempts``, when not None);
    whether it was."""
    guards: dict[str, Any] = {"status": from_status}
    if attempts is not None:
        guards["attempts"] = attempts
    return ScheduledRun.objects.filter(pk=pk, **guards).update(**changes) == 1
