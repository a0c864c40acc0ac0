"""When a run's database changes are saved (docs/actions.md#when-changes-are-saved).

A workflow's ``commit`` setting chooses:

* ``together`` (the default): one transaction, opened at the first step that may write
  (``ActionType.writes``) and committed at the end with the run log, or rolled back as a
  whole. A step that calls another server *before* any write holds no lock; one after a
  write holds the run's locks while it waits — on SQLite the whole database's write lock
  (``engine.advice`` warns about it when the workflow is saved).
* ``each_step``: every step that may write commits as it ends, as Bubble does; a failing
  step rolls back only its own changes, and a call to another server holds no lock.

Either way the run log, and a caller's bookkeeping (the scheduler's "succeeded"), commit
in the last transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

from django.db import transaction

from ..choices import Commit


class RunTransactions:
    """The transactions of one top-level run, entered on ``stack`` (closed by the runner:
    with an exception it rolls back what is open)."""

    def __init__(self, stack: ExitStack, commit: str) -> None:
        self._stack = stack
        self._each_step = commit == Commit.EACH_STEP
        self._open = False

    def step(self, action: Any) -> AbstractContextManager[Any]:
        """Enter around one step of ``action``'s type (condition, inputs and work)."""
        if not action.writes:
            return nullcontext()
        if self._each_step:
            return transaction.atomic()
        self.open()
        return nullcontext()

    def open(self) -> None:
        """Open the run's transaction now if it is not open: at the first write, for a
        locking search, and for the run log at the end."""
        if not self._open:
            self._stack.enter_context(transaction.atomic())
            self._open = True


class NestedTransactions:
    """A custom event's steps: they run inside the calling step's transaction."""

    def step(self, action: Any) -> AbstractContextManager[Any]:
        return nullcontext()

    def open(self) -> None:
        return None


NESTED = NestedTransactions()
