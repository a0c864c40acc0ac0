"""Running one scheduled run on a worker: claim it, run it, record the outcome.

The claim is a guarded UPDATE (``queued → running``, ``attempts + 1``), so a duplicate
delivery or a run cancelled while queued does nothing. The attempt number is the claim's
fencing token: "succeeded" is written inside the run's own transaction only if the row is
still ``running`` with that attempt, so the run's database effects and its status commit
together, and a worker that lost its claim (the reaper gave the run to another) rolls back
instead of completing a run twice.
"""

from __future__ import annotations

import datetime
import logging
from contextlib import nullcontext
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows import engine
from workflows.choices import RunSource, RunStatus
from workflows.engine.cache import get_compiled
from workflows.engine.serialize import to_log
from workflows.exceptions import WorkflowError
from workflows.models import Run

from . import conf, recurring, triggers
from .models import Origin, ScheduledRun, Status

logger = logging.getLogger("scheduler.execution")

_SOURCES = {Origin.RECURRING: RunSource.RECURRING, Origin.TRIGGER: RunSource.TRIGGER}


class ClaimLost(WorkflowError):
    """The run was taken back (its lease ran out) and given to another worker."""

    code = "CLAIM_LOST"


def execute_scheduled_run(pk: str, now: datetime.datetime | None = None) -> str:
    """Run scheduled run ``pk`` if it is still ours to run; the status it ended in.

    ``now`` (tests) is the moment the claim is made at, which places the next occurrence of
    a recurring event.
    """
    row = claim(pk, now)
    if row is None:
        return "skipped"
    return run_claimed(row)


def claim(pk: str, now: datetime.datetime | None = None) -> ScheduledRun | None:
    now = now or timezone.now()
    row = ScheduledRun.objects.select_related("workflow").filter(pk=pk).first()
    if row is None or row.status != Status.QUEUED:
        return None
    lease = now + datetime.timedelta(seconds=row.workflow.timeout + conf.get("RUNNING_GRACE"))
    with transaction.atomic():
        claimed = ScheduledRun.objects.filter(
            pk=pk, status=Status.QUEUED, attempts=row.attempts
        ).update(
            status=Status.RUNNING,
            attempts=row.attempts + 1,
            started_at=now,
            lease_expires_at=lease,
        )
        if not claimed:
            return None
        row.status, row.attempts, row.started_at = Status.RUNNING, row.attempts + 1, now
        if row.recurring_id is not None:
            recurring.continue_after(row, now)
    return row


def run_claimed(row: ScheduledRun) -> str:
    attempt = row.attempts

    def note_run(run: Run) -> None:
        row.run = run
        ScheduledRun.objects.filter(pk=row.pk).update(run=run)

    def mark_succeeded(run: Run) -> None:
        done = ScheduledRun.objects.filter(
            pk=row.pk, status=Status.RUNNING, attempts=attempt
        ).update(status=Status.SUCCEEDED, finished_at=timezone.now(), lease_expires_at=None)
        if not done:
            raise ClaimLost(
                "this attempt lost its claim on the scheduled run (taken back after its lease "
                "ran out); its work was rolled back"
            )

    quiet = triggers.suppressed() if row.origin == Origin.TRIGGER else nullcontext()
    with quiet:
        result = engine.run(
            row.workflow,
            row.params,
            row.actor,
            source=_SOURCES.get(row.origin, RunSource.SCHEDULED),
            extra=triggers.scope_from_context(row.context) if row.context else None,
            parent=row.scheduled_by,
            depth=row.depth,
            ignore_privacy=row.ignore_privacy,
            log_rejected=True,
            on_start=note_run,
            before_commit=mark_succeeded,
        )
    if isinstance(result.error, ClaimLost):
        status = "lost"
    elif result.run.status in (RunStatus.SUCCEEDED, RunStatus.CONDITION_NOT_MET):
        status = Status.SUCCEEDED  # committed together with the run (mark_succeeded)
    else:
        status = _after_failure(row, attempt, result.error)
    if row.recurring_id is not None and status in (Status.SUCCEEDED, Status.FAILED):
        recurring.record_outcome(row.recurring_id, status, timezone.now())
    return status


def _after_failure(row: ScheduledRun, attempt: int, error: WorkflowError) -> str:
    """Retry with exponential backoff while the workflow's retries allow, else fail."""
    now = timezone.now()
    message = f"attempt {attempt}: {error.code}: {error.message}"[:10_000]
    retries = row.workflow.retries
    if attempt <= retries:
        delay = row.workflow.retry_delay * 2 ** (attempt - 1)
        changed = ScheduledRun.objects.filter(
            pk=row.pk, status=Status.RUNNING, attempts=attempt
        ).update(
            status=Status.SCHEDULED,
            due_at=now + datetime.timedelta(seconds=delay),
            lease_expires_at=None,
            last_error=message,
        )
        if changed:
            logger.info("scheduled run %s failed (%s); retry in %s s", row.pk, error.code, delay)
            return "retrying"
    ScheduledRun.objects.filter(pk=row.pk, status=Status.RUNNING, attempts=attempt).update(
        status=Status.FAILED, finished_at=now, lease_expires_at=None, last_error=message
    )
    return Status.FAILED


def shown_params(row: ScheduledRun | Any) -> Any:
    """A scheduled run's (or recurring event's) parameters as the admin and the API show
    them: the workflow's secret parameters and every operator secret masked."""
    if not row.params:
        return row.params
    return to_log(row.params, secret_keys=get_compiled(row.workflow).secret_keys)


def describe(row: ScheduledRun) -> dict[str, Any]:
    """A scheduled run as the REST API and ``steps.<id>`` show it."""
    return {
        "id": str(row.pk),
        "workflow": row.workflow.name,
        "status": row.status,
        "due_at": row.due_at.isoformat(),
        "params": shown_params(row),
        "attempts": row.attempts,
        "run": str(row.run_id) if row.run_id else None,
        "error": row.last_error or None,
    }
