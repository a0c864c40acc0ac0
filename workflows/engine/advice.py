"""Advice on a saved workflow: what works but may hurt, shown when it is saved (the admin,
``import_workflows``) without refusing it.

* on SQLite, a step that waits on another server (``http_request``) after a step that
  wrote, in a workflow whose changes commit together, holds the database's write lock for
  as long as the other server takes — every other write (API calls, runs, the scheduler)
  waits meanwhile (docs/actions.md#when-changes-are-saved);
* a workflow that saves changes after each step and is retried when it fails: a retry
  starts again from step 1, so the steps saved before the failure are done twice.
"""

from __future__ import annotations

from django.db import connection

from ..choices import Commit
from .compiler import CompiledWorkflow


def workflow_advice(compiled: CompiledWorkflow, *, vendor: str | None = None) -> list[str]:
    """Sentences for the builder; empty when there is nothing to say."""
    vendor = vendor or connection.vendor
    if compiled.commit == Commit.EACH_STEP:
        if not compiled.retries:
            return []
        return [
            f"Workflow {compiled.name!r} saves changes after each step and is retried "
            f"{compiled.retries} time(s) when a scheduled run fails: a retry starts again "
            "from step 1, so the steps saved before the failure are done again. Make them "
            "safe to repeat (check with 'only when' whether their work is already done)."
        ]
    if vendor != "sqlite":
        return []
    advice: list[str] = []
    first_write = None
    for action in compiled.actions:
        if action.action.waits_for_network(action.config) and first_write is not None:
            advice.append(
                f"Workflow {compiled.name!r}, step {action.position} ({action.title}) waits "
                f"for another server after step {first_write.position} "
                f"({first_write.title}) changed the database: on SQLite every other write "
                "(API calls, other runs, the scheduler) waits until it answers. Move the "
                "step before the first step that changes data, or save changes after each "
                "step (commit: each_step)."
            )
        if action.action.writes and first_write is None:
            first_write = action
    return advice
