"""Running a scheduled run as the scheduler would when it falls due: the dispatcher
queues it, a worker executes it."""

from __future__ import annotations

from scheduler.dispatch import dispatch_due
from scheduler.execution import execute_scheduled_run
from scheduler.models import ScheduledRun, Status


def run_when_due(row: ScheduledRun) -> str:
    """Dispatched at its due time and executed; the status it ended in."""
    assert str(row.pk) in dispatch_due(row.due_at, enqueue=False).queued
    return execute_scheduled_run(str(row.pk), now=row.due_at)


def ran(row: ScheduledRun) -> dict:
    """``run_when_due``, which must succeed; the data its run returned."""
    status = run_when_due(row)
    row.refresh_from_db()
    assert status == Status.SUCCEEDED, row.last_error
    return row.run.result
