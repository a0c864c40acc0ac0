"""Moving due runs to django-q2, and taking back runs whose queue or worker was lost.

``dispatch_due`` claims a batch of due rows in one short transaction — ``SELECT ... FOR
UPDATE SKIP LOCKED`` where the database has it (PostgreSQL), otherwise SQLite's
``BEGIN IMMEDIATE`` write lock (see settings) — marks them ``queued`` with a lease and, in
a ``run_scheduler`` with its own cluster, as held by that process, and after commit hands
their ids to its queue. Several dispatchers on one database never claim the same row; each
keeps at most ``QUEUE_DEPTH`` runs waiting in its queue, so the others' workers share a
backlog. ``reap_lost`` takes back what a dead scheduler process held (scheduler/processes.py)
at once, and any run whose lease ran out; the worker's own guarded UPDATE makes a second
delivery of the same id harmless.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from workflows import failures, run_text_index, services
from workflows.choices import RunStatus
from workflows.engine.transactions import kept_when_lost
from workflows.models import Run

from . import conf, housekeeping, processes, queues, recurring
from .execution import error_workflow_of
from .loading import WORKFLOW_FIELDS
from .models import Pause, ScheduledRun, SchedulerProcess, Status
from .target import settings_of

logger = logging.getLogger("scheduler.dispatch")


@dataclass
class DispatchResult:
    queued: list[str]
    missed: int = 0


def paused_workflow_ids() -> set[int] | None:
    """Ids of paused workflows, or None when the whole scheduler is paused."""
    keys = list(Pause.objects.values_list("key", "workflow_id"))
    if any(key == "scheduler" for key, _ in keys):
        return None
    return {workflow_id for _, workflow_id in keys if workflow_id is not None}


def dispatch_due(
    now: datetime.datetime | None = None,
    limit: int | None = None,
    *,
    enqueue: bool = True,
    holder: uuid.UUID | None = None,
) -> DispatchResult:
    """Claim up to ``limit`` due runs and hand them to django-q2 — to the queue of scheduler
    process ``holder``, held by it, or to the shared queue; what was claimed. With
    ``enqueue`` (not in tests that run claimed runs themselves), only once at most half of
    ``QUEUE_DEPTH`` waits in that queue, and up to ``QUEUE_DEPTH``."""
    now = now or timezone.now()
    limit = limit or conf.get("BATCH_SIZE")
    queue = queues.name_for(holder)
    paused = paused_workflow_ids()
    if paused is None:
        return DispatchResult([])
    # A plain read first: on SQLite a claim takes the database's write lock, which most
    # polls (nothing due) need not take.
    if not ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__lte=now).exists():
        return DispatchResult([])
    if enqueue:
        # topped up once half of it has been taken: a few large claims, not one per poll
        depth, waiting = conf.get("QUEUE_DEPTH"), queues.waiting(queue)
        if waiting > depth // 2:
            return DispatchResult([])
        limit = min(limit, depth - waiting)
    with transaction.atomic():
        due = ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
        if paused:
            due = due.exclude(workflow_id__in=paused)
        due = due.order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.values_list("pk", "due_at", "workflow__missed_after")[:limit])
        if not rows:
            return DispatchResult([])
        missed = [
            pk for pk, due_at, after in rows if after and (now - due_at).total_seconds() > after
        ]
        skipped = set(missed)
        ready = [str(pk) for pk, _, _ in rows if pk not in skipped]
        if missed:
            ScheduledRun.objects.filter(pk__in=missed, status=Status.SCHEDULED).update(
                status=Status.MISSED,
                finished_at=now,
                last_error="not run: the scheduler reached it later than the workflow's "
                "missed_after allows",
            )
            _continue_recurring(missed, now)
        if ready:
            lease = now + datetime.timedelta(seconds=conf.get("QUEUED_TIMEOUT"))
            ScheduledRun.objects.filter(pk__in=ready, status=Status.SCHEDULED).update(
                status=Status.QUEUED, lease_expires_at=lease, holder=holder
            )
    if enqueue and ready:
        queues.enqueue_tasks(ready, queue)
    if missed:
        logger.warning("%d scheduled run(s) marked missed", len(missed))
    return DispatchResult(ready, len(missed))


def reap_lost(now: datetime.datetime | None = None, *, me: uuid.UUID | None = None) -> int:
    """Take back what dead scheduler processes held (other than ``me``), and runs whose
    lease ran out; returns how many runs go round again."""
    now = now or timezone.now()
    dead = processes.dead(now, me=me)
    taken = take_back(dead, now) if dead else 0
    expired = Q(lease_expires_at__lt=now)
    requeued = _requeue(expired) + _retry_lost(expired, now)
    if requeued:
        logger.warning("%d scheduled run(s) taken back after their lease ran out", requeued)
    return taken + requeued


def take_back(holders: list[uuid.UUID], now: datetime.datetime | None = None) -> int:
    """Everything scheduler processes ``holders`` held, at once: queued runs go back to
    ``scheduled`` and their queues are thrown away, running ones are retried as after a
    lost worker; then their registrations go. Returns how many runs go round again."""
    now = now or timezone.now()
    held = Q(holder__in=holders)
    count = _requeue(held) + _retry_lost(held, now)
    processes.forget(holders)
    for holder in holders:
        queues.discard(queues.name_for(holder))
    if count:
        logger.warning(
            "%d scheduled run(s) taken back from scheduler process(es) gone: %s",
            count,
            ", ".join(str(pk) for pk in holders),
        )
    return count


def hand_back(pk: str, now: datetime.datetime | None = None) -> bool:
    """Scheduled run ``pk``, if its task ended before a worker claimed it (a database
    error: django-q2 acknowledges failed tasks, so nothing would deliver it again), back
    to ``scheduled``, due in ``REAP_INTERVAL`` seconds — not after ``QUEUED_TIMEOUT``, and
    not at once, so an error that persists does not spin. Whether it was still queued."""
    now = now or timezone.now()
    due = now + datetime.timedelta(seconds=conf.get("REAP_INTERVAL"))
    return bool(
        ScheduledRun.objects.filter(pk=pk, status=Status.QUEUED).update(
            status=Status.SCHEDULED, due_at=due, lease_expires_at=None, holder=None
        )
    )


def _requeue(which: Q) -> int:
    """Queued runs matching ``which`` back to ``scheduled``: they never started, so they go
    as they were."""
    return ScheduledRun.objects.filter(which, status=Status.QUEUED).update(
        status=Status.SCHEDULED, lease_expires_at=None, holder=None
    )


def _retry_lost(which: Q, now: datetime.datetime) -> int:
    """Running runs matching ``which`` whose worker is gone: its transaction rolled back, so
    what it did was rolled back (or, for a workflow saving after each step, its ended steps
    were kept); the ``Run`` is marked failed (``WORKER_LOST``) and the run is
    retried, up to ``LOST_RETRIES`` times beyond its own retries. How many are retried.
    Its retries, what it kept and its error workflow are those of the workflow serving it
    now (``target.settings_of``: also when development deleted it)."""
    lost = list(
        ScheduledRun.objects.filter(which, status=Status.RUNNING)
        .select_related("workflow")
        .only(
            "pk",
            "attempts",
            "run_id",
            "origin",
            "lease_expires_at",
            "test",
            "workflow_name",
            *(f"workflow__{name}" for name in WORKFLOW_FIELDS),
        )
    )
    retried = 0
    for row in lost:
        workflow = settings_of(row)
        allowed = workflow.retries + 1 + conf.get("LOST_RETRIES")
        message = (
            f"attempt {row.attempts}: the worker stopped during the run (killed or timed out); "
            f"{kept_when_lost(workflow.commit)}"
        )
        retry = row.attempts < allowed
        with transaction.atomic():  # a final failure and what follows it, together
            changed = ScheduledRun.objects.filter(
                pk=row.pk, status=Status.RUNNING, attempts=row.attempts
            ).update(
                status=Status.SCHEDULED if retry else Status.FAILED,
                due_at=now if retry else F("due_at"),
                finished_at=None if retry else now,
                lease_expires_at=None,
                holder=None,
                last_error=message,
            )
            if changed and row.run_id:
                Run.objects.filter(pk=row.run_id, status=RunStatus.RUNNING).update(
                    status=RunStatus.FAILED,
                    error_code="WORKER_LOST",
                    error_message=message,
                    finished_at=now,
                )
                if not retry:
                    run = Run.objects.get(pk=row.run_id)
                    failures.failed_for_good(run, error_workflow_of(row, workflow), now=now)
        retried += changed if retry else 0
        if changed and not retry:
            _continue_recurring([row.pk], now)
    return retried


def _continue_recurring(ids: list, now: datetime.datetime) -> None:
    """A recurring occurrence that will not run still schedules the next one."""
    rows = ScheduledRun.objects.filter(pk__in=ids, recurring__isnull=False).select_related(
        "recurring"
    )
    for row in rows:
        recurring.continue_after(row, now)
        recurring.record_outcome(row.recurring_id, row.status, now)


def run_forever(
    stop: threading.Event,
    process: SchedulerProcess | None = None,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """The dispatcher loop: hand due runs to django-q2 and take back lost ones until
    ``stop``, or until ``alive()`` (its cluster is running) turns false. With ``process``
    (a ``run_scheduler`` with its own cluster) it writes that process's heartbeat and
    dispatches into its queue; without, into django-q2's shared queue.

    A database hiccup (SQLite busy, a PostgreSQL restart) is logged and retried, never fatal.
    Runs that came due while nothing was running, and what dead scheduler processes held,
    are picked up on the first pass.
    """
    poll = conf.get("POLL_INTERVAL")
    reap_every = conf.get("REAP_INTERVAL")
    housekeeping_every = conf.get("HOUSEKEEPING_INTERVAL")
    index_every = conf.get("SEARCH_INDEX_INTERVAL")
    batch = conf.get("BATCH_SIZE")
    me = process.pk if process is not None else None
    next_reap = next_housekeeping = next_index = 0.0
    logger.info("scheduler dispatcher started (poll every %s s)", poll)
    while not stop.is_set() and alive():
        try:
            if time.monotonic() >= next_reap:
                if process is not None:
                    processes.beat(process)
                reap_lost(me=me)
                services.runs_abandoned_close()  # API runs whose server died mid-run
                next_reap = time.monotonic() + reap_every
            if index_every and time.monotonic() >= next_index:
                next_index = time.monotonic() + index_every
                run_text_index.catch_up_in_background()  # SQLite: the Runs search's index
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + housekeeping_every
                housekeeping.run_chores()
            result = dispatch_due(limit=batch, holder=me)
            if len(result.queued) + result.missed >= batch:
                continue  # more are due: no pause
        except DatabaseError:
            logger.exception("scheduler dispatcher: database error; retrying")
            close_old_connections()
            stop.wait(1.0)
            continue
        stop.wait(poll)
    logger.info("scheduler dispatcher stopped")
