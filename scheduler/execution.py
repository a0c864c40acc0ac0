"""Running one scheduled run on a worker: claim it, run it, record the outcome.

The claim is a guarded UPDATE (``queued → running``, ``attempts + 1``), so a duplicate
delivery or a run cancelled while queued does nothing. It is made in the transaction that
writes the run's ``Run`` row and links it (on PostgreSQL in the same statement), so a
worker that dies after claiming always leaves a log for the reaper to close, and the whole
start costs one commit. The attempt number is the claim's
fencing token: "succeeded" is written inside the run's own transaction only if the row is
still ``running`` with that attempt, so the run's database effects and its status commit
together, and a worker that lost its claim (the reaper gave the run to another) rolls back
instead of completing a run twice.
"""

from __future__ import annotations

import datetime
import logging
from contextlib import nullcontext, suppress
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows import engine, failures, statements
from workflows.choices import RunSource, RunStatus
from workflows.data_model.registry import scope as data_model_scope
from workflows.engine.cache import get_compiled
from workflows.engine.compiler import CompiledWorkflow
from workflows.engine.serialize import to_log
from workflows.engine.transactions import kept_when_lost
from workflows.exceptions import WorkflowError
from workflows.models import Run
from workflows.versions.edition import run_marks, serving

from . import conf, processes, recurring, services, triggers
from .loading import load_scheduled_run
from .models import Origin, RecurringEvent, ScheduledRun, Status
from .sealed import is_sealed, unseal
from .target import edition_of, served_workflow, settings_of
from .transitions import transition

logger = logging.getLogger("scheduler.execution")

_SOURCES = {
    Origin.LIST: RunSource.ON_A_LIST,
    Origin.RECURRING: RunSource.RECURRING,
    Origin.TRIGGER: RunSource.TRIGGER,
}


def _source(row: ScheduledRun) -> str:
    """What the run log says started a run of ``row``."""
    return _SOURCES.get(row.origin, RunSource.SCHEDULED)


def _error_text(attempt: int, error: WorkflowError) -> str:
    """``last_error`` of a failed attempt."""
    return f"attempt {attempt}: {error.code}: {error.message}"[:10_000]


class ClaimLost(WorkflowError):
    """The run was taken back (its lease ran out) and given to another worker."""

    code = "CLAIM_LOST"


class NotClaimed(Exception):
    """The claim's guarded UPDATE found the run no longer queued: someone else has it."""


def execute_scheduled_run(pk: str, now: datetime.datetime | None = None) -> str:
    """Run scheduled run ``pk`` if it is still ours to run; the status it ended in.

    The claim is made in the transaction that writes the run's ``Run`` row (one commit for
    both, see ``run_claimed``). ``now`` (tests) is the moment the claim is made at, which
    places the next occurrence of a recurring event.
    """
    row = load_scheduled_run(pk)
    if row is None or row.status != Status.QUEUED:
        return "skipped"
    try:
        return run_claimed(row, now)
    except NotClaimed:
        return "skipped"  # a duplicate delivery, or cancelled / taken back meanwhile


def claim(pk: str, now: datetime.datetime | None = None) -> ScheduledRun | None:
    """Claim scheduled run ``pk`` on its own, without running it (what a worker that dies
    right after claiming leaves behind); ``run_claimed`` then runs it."""
    row = load_scheduled_run(pk)
    if row is None or row.status != Status.QUEUED:
        return None
    timeout = settings_of(row).timeout
    with transaction.atomic():
        if not _take(row, now, timeout):
            return None
    return row


def _claim_changes(
    row: ScheduledRun, now: datetime.datetime, timeout: int, run: Run | None
) -> dict[str, Any]:
    """The claim: ``queued → running``, ``attempts + 1`` (the fencing token), a lease for
    the workflow's ``timeout`` and grace, held by this worker's scheduler process (if it
    runs in one), linked to ``run`` when given."""
    lease = now + datetime.timedelta(seconds=timeout + conf.get("RUNNING_GRACE"))
    changes: dict[str, Any] = {
        "status": Status.RUNNING,
        "attempts": row.attempts + 1,
        "started_at": now,
        "lease_expires_at": lease,
    }
    holder = processes.current_id()
    if holder is not None:
        changes["holder"] = holder
    if run is not None:
        changes["run"] = run
    return changes


def _claimed(row: ScheduledRun, changes: dict[str, Any]) -> None:
    """The claim's changes on the instance too."""
    for name, value in changes.items():
        setattr(row, name, value)


def _take(
    row: ScheduledRun, now: datetime.datetime | None, timeout: int, run: Run | None = None
) -> bool:
    """The claim, inside the caller's transaction (see ``_claim_changes``); False if the
    row was not queued with the attempt count we read."""
    now = now or timezone.now()
    changes = _claim_changes(row, now, timeout, run)
    if not transition(row.pk, Status.QUEUED, row.attempts, changes):
        return False
    _claimed(row, changes)
    if row.recurring_id is not None:
        recurring.continue_after(row, now)
    return True


def _take_writing(row: ScheduledRun, now: datetime.datetime | None, timeout: int, run: Run) -> None:
    """The claim and the ``Run`` row in one statement (PostgreSQL; see
    ``workflows.statements.update_then_insert``): a round trip, a commit and two
    statements fewer per run than ``_take`` in a transaction. Raises ``NotClaimed``."""
    now = now or timezone.now()
    guards = {"status": Status.QUEUED, "attempts": row.attempts}
    changes = _claim_changes(row, now, timeout, run)
    if not statements.update_then_insert(ScheduledRun, row.pk, changes, guards, run):
        raise NotClaimed(row.pk)
    _claimed(row, changes)


def run_claimed(row: ScheduledRun, now: datetime.datetime | None = None) -> str:
    """Run ``row``: claimed already (``claim``), or claimed here, in the transaction that
    writes its ``Run`` row (raises ``NotClaimed`` if another worker has it). Its workflow is
    the one of its name in the version serving it (``target``): a test's runs run
    development, the others the version live now (docs/versions.md); when that version
    has none, the run fails for good without running (``_not_runnable``)."""
    with data_model_scope():  # one unit of work: its compile, its run, what follows a failure
        return _run_claimed(row, now)


def _run_claimed(row: ScheduledRun, now: datetime.datetime | None) -> str:
    quiet = triggers.suppressed() if row.origin == Origin.TRIGGER else nullcontext()
    with quiet, serving(edition_of(row)):
        try:
            workflow = served_workflow(row)
            params = unseal(row.params)
        except WorkflowError as exc:
            return _not_runnable(row, exc, now)
        result = _run(row, workflow, params, now)
    attempt = row.attempts
    if isinstance(result.error, ClaimLost):
        status = "lost"
    elif result.run.status in (RunStatus.SUCCEEDED, RunStatus.CONDITION_NOT_MET):
        status = Status.SUCCEEDED  # committed together with the run (mark_succeeded)
    else:
        status = _after_failure(row, workflow, attempt, result.error, result.run)
    if row.recurring_id is not None and status in (Status.SUCCEEDED, Status.FAILED):
        recurring.record_outcome(row.recurring_id, status, timezone.now())
    return status


def _run(
    row: ScheduledRun, workflow: CompiledWorkflow, params: Any, now: datetime.datetime | None
) -> engine.RunResult:
    """``workflow`` run for ``row`` through the engine, the claim (or, claimed beforehand,
    the link to the log) written with the ``Run`` row and "succeeded" with its effects."""

    def write_start(run: Run) -> None:
        # one transaction: the log row and the claim (or, claimed beforehand, the link)
        # commit together, or neither does
        with transaction.atomic():
            statements.insert([run])
            if row.status == Status.RUNNING:  # claimed beforehand: only link the log
                row.run = run
                ScheduledRun.objects.filter(pk=row.pk).update(run=run)
            elif not _take(row, now, workflow.timeout, run):
                raise NotClaimed(row.pk)

    def mark_succeeded(run: Run) -> None:
        done = transition(
            row.pk,
            Status.RUNNING,
            row.attempts,
            {"status": Status.SUCCEEDED, "finished_at": timezone.now(), "lease_expires_at": None},
        )
        if not done:
            raise ClaimLost(
                "this attempt lost its claim on the scheduled run (taken back after its lease "
                "ran out): its end was not recorded, and " + kept_when_lost(workflow.commit)
            )

    # one statement for the claim and the log row where the database allows, unless the
    # claim has more to do (a recurring event's next occurrence) or was made beforehand
    def write_in_one_statement(run: Run) -> None:
        _take_writing(row, now, workflow.timeout, run)

    one_statement = (
        row.status == Status.QUEUED
        and row.recurring_id is None
        and statements.can_update_then_insert(ScheduledRun)
    )
    return engine.run(
        workflow,
        params,
        row.actor,
        source=_source(row),
        extra=triggers.scope_from_context(row.context) if row.context else None,
        # the scheduling run by id: the log needs the link, not another query for it
        parent=Run(pk=row.scheduled_by_id) if row.scheduled_by_id else None,
        depth=row.depth,
        ignore_privacy=row.ignore_privacy,
        log_rejected=True,
        before_commit=mark_succeeded,
        write_start=write_in_one_statement if one_statement else write_start,
        final=False,  # retried or failed for good: decided by the caller
        time_zone=row.time_zone,
    )


def _not_runnable(row: ScheduledRun, error: WorkflowError, now: datetime.datetime | None) -> str:
    """``row``'s workflow is not in the version serving it (deleted in development, then
    deployed) or no longer compiles: the run fails for good without running — one guarded
    status change from where it is (queued, or running when claimed beforehand), written
    with a failed ``Run`` saying why, so it happens once and shows in both logs. A
    recurring event it belongs to stops: each of its occurrences would fail alike."""
    now = now or timezone.now()
    attempt = row.attempts if row.status == Status.RUNNING else row.attempts + 1
    run = Run(
        workflow_id=row.workflow_id,
        workflow_name=row.current_workflow_name,
        source=_source(row),
        status=RunStatus.FAILED,
        actor_id=row.actor_id,
        parent_id=row.scheduled_by_id,
        depth=row.depth,
        params=shown_params(row),
        error_code=error.code,
        error_message=error.message,
        started_at=now,
        finished_at=now,
        duration_ms=0.0,
        **run_marks(),
    )
    changes = {
        "status": Status.FAILED,
        "attempts": attempt,
        "started_at": row.started_at if row.status == Status.RUNNING else now,
        "finished_at": now,
        "lease_expires_at": None,
        "last_error": _error_text(attempt, error),
        "run": run,
    }
    with transaction.atomic():
        statements.insert([run])
        if not transition(row.pk, row.status, row.attempts, changes):
            raise NotClaimed(row.pk)  # rolls the log row back too
        if row.recurring_id is not None:
            services.stop_events(RecurringEvent.objects.filter(pk=row.recurring_id))
            recurring.record_outcome(row.recurring_id, Status.FAILED, now)
        failures.failed_for_good(run, now=now)
    logger.warning("scheduled run %s not run: %s", row.pk, error.message)
    return Status.FAILED


def _after_failure(
    row: ScheduledRun, workflow: CompiledWorkflow, attempt: int, error: WorkflowError, run: Run
) -> str:
    """Retry with exponential backoff while ``workflow``'s retries allow, else fail: the
    run (``run``, this attempt's log) failed for good, and its workflow's error workflow
    is scheduled in the same transaction (``workflows.failures``)."""
    now = timezone.now()
    message = _error_text(attempt, error)
    retries = workflow.retries
    if attempt <= retries:
        delay = workflow.retry_delay * 2 ** (attempt - 1)
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
    with transaction.atomic():
        failed = ScheduledRun.objects.filter(
            pk=row.pk, status=Status.RUNNING, attempts=attempt
        ).update(status=Status.FAILED, finished_at=now, lease_expires_at=None, last_error=message)
        if failed:  # the guard: once, whatever else delivers or reaps this attempt
            failures.failed_for_good(run, error_workflow_of(row, workflow), now=now)
    return Status.FAILED


def error_workflow_of(row: ScheduledRun, workflow: CompiledWorkflow) -> str:
    """The error workflow a failure of ``row`` runs: its ``workflow``'s, unless ``row`` is
    an error workflow's run itself (error workflows never loop)."""
    if row.origin == Origin.ERROR_WORKFLOW:
        return ""
    return workflow.error_workflow


def shown_params(row: ScheduledRun | Any) -> Any:
    """A scheduled run's (or recurring event's) parameters as the admin and the API show
    them: the workflow's secret parameters and every operator secret masked. A workflow
    that cannot say which are secret — one that no longer compiles (a custom event it
    names was deleted), or was deleted in development — has every value masked, and the
    page listing its runs still opens."""
    if not row.params:
        return row.params
    secret = frozenset(row.params) if isinstance(row.params, dict) else frozenset()
    if row.workflow_id is not None:
        with suppress(WorkflowError):
            secret = get_compiled(row.workflow).secret_keys
    if isinstance(row.params, dict):  # sealed ones: secret when scheduled, whatever now
        secret |= {key for key, value in row.params.items() if is_sealed(value)}
    return to_log(row.params, secret_keys=secret)


def describe(row: ScheduledRun) -> dict[str, Any]:
    """A scheduled run as the REST API and ``steps.<id>`` show it."""
    return {
        "id": str(row.pk),
        "workflow": row.current_workflow_name,
        "status": row.status,
        "due_at": row.due_at.isoformat(),
        "time_zone": row.time_zone,
        "params": shown_params(row),
        "attempts": row.attempts,
        "run": str(row.run_id) if row.run_id else None,
        "error": row.last_error or None,
    }
