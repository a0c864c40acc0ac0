"""When a run's database changes are saved (docs/actions.md#when-changes-are-saved).

A workflow's ``commit`` setting chooses:

* ``together`` (the default): one transaction, opened at the first step that may write
  (``ActionType.writes``) and committed at the end with the run log, or rolled back as a
  whole. A step that calls another server *before* any write holds no lock; one after a
  write holds the run's locks while it waits — on SQLite the whole database's write lock
  (``engine.advice`` warns about it when the workflow is saved).
* ``each_step``: every step commits as it ends, as Bubble does; a failing step rolls back
  only its own changes, and a step calling another server runs outside any transaction,
  so it holds no lock.

Either way the run log, and a caller's bookkeeping (the scheduler's "succeeded"), commit
in the last transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

from ..choices import Commit
from ..data_model import databases
from ..exceptions import ExpressionError


def kept_when_lost(commit: str) -> str:
    """What a run that stopped mid-way kept, in words for its log: it depends on when the
    workflow saves its changes."""
    if commit == Commit.EACH_STEP:
        return "the steps that had ended were kept (the workflow saves changes after each step)"
    return "nothing it changed was kept"


class RunTransactions:
    """The transactions of one top-level run, entered on ``stack`` (closed by the runner:
    with an exception it rolls back what is open)."""

    def __init__(self, stack: ExitStack, commit: str) -> None:
        self._stack = stack
        self._each_step = commit == Commit.EACH_STEP
        self._open = False
        self._in_step = False

    def step(self, action: Any, config: dict[str, Any]) -> AbstractContextManager[Any]:
        """Enter around one step of ``action``'s type with its ``config`` (condition, inputs
        and work).

        With ``each_step`` every step but one waiting on another server (``waits_for_network``:
        an HTTP call, an email fetching its attachments) is its own transaction (a locking
        search in a ``log`` step still has one to lock in)."""
        if self._each_step:
            if action.waits_for_network(config):
                return nullcontext()
            return self._step_transaction()
        if action.writes:
            self._open_run_transaction()
        return nullcontext()

    def for_locking(self) -> None:
        """A search locks rows (``lock=true``): they stay locked until the changes commit."""
        if not self._each_step:
            self._open_run_transaction()
        elif not self._in_step:
            raise ExpressionError(
                "search(..., lock=true) cannot lock anything in a step that waits on another "
                "server when the workflow saves changes after each step: lock in the step "
                "that changes the things"
            )

    def for_the_end(self) -> None:
        """The run log and the caller's bookkeeping: in the run's transaction, or (each
        step) in a last one of their own."""
        self._open_run_transaction()

    def _open_run_transaction(self) -> None:
        if not self._open:
            self._stack.enter_context(databases.atomic())
            self._open = True

    @contextmanager
    def _step_transaction(self) -> Iterator[None]:
        with databases.atomic():
            self._in_step = True
            try:
                yield
            finally:
                self._in_step = False


class NestedTransactions:
    """A custom event's steps: they run inside the calling step's transaction."""

    def step(self, action: Any, config: dict[str, Any]) -> AbstractContextManager[Any]:
        return nullcontext()

    def for_locking(self) -> None:
        return None

    def for_the_end(self) -> None:
        return None


NESTED = NestedTransactions()
