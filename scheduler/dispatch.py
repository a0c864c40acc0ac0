"""Moving due runs to django-q2, and taking back runs whose queue or worker was lost.

``dispatch_due`` claims a batch of due rows in one short transaction — ``SELECT ... FOR
UPDATE SKIP LOCKED`` where the database has it (PostgreSQL), otherwise SQLite's
``BEGIN IMMEDIATE`` write lock (see settings) — marks them ``queued`` with a lease, and
after commit hands their ids to django-q2. Several dispatchers on one database never claim
the same row. A row whose lease runs out (its task was lost with a killed Redis cluster,
or its worker died mid-run) is put back by ``reap_lost``; the worker's own guarded UPDATE
makes a second delivery of the same id harmless.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM as OrmBroker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

from workflows.choices import RunStatus
from workflows.models import Run

from . import conf, recurring
from .models import Pause, ScheduledRun, Status

logger = logging.getLogger("scheduler.dispatch")

TASK = "scheduler.tasks.execute_scheduled_run"
#: tasks handed to django-q2's broker at once (one transaction on the ORM broker, one
#: pipeline on Redis): workers see the first ones after this many, a few milliseconds
ENQUEUE_CHUNK = 50


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
    now: datetime.datetime | None = None, limit: int | None = None, *, enqueue: bool = True
) -> DispatchResult:
    """Claim up to ``limit`` due runs and hand them to django-q2; what was claimed."""
    now = now or timezone.now()
    limit = limit or conf.get("BATCH_SIZE")
    paused = paused_workflow_ids()
    if paused is None:
        return DispatchResult([])
    # A plain read first: on SQLite a claim takes the database's write lock, which most
    # polls (nothing due) need not take.
    if not ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__lte=now).exists():
        return DispatchResult([])
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
                status=Status.QUEUED, lease_expires_at=lease
            )
    if enqueue and ready:
        enqueue_tasks(ready)
    if missed:
        logger.warning("%d scheduled run(s) marked missed", len(missed))
    return DispatchResult(ready, len(missed))


def enqueue_tasks(pks: list[str]) -> None:
    """Hand claimed run ids to django-q2, cheaply. ``async_task`` makes a broker per task
    (on Redis a new connection) unless given one; on Redis its pushes then go through one
    pipeline per ``ENQUEUE_CHUNK`` tasks (one round trip instead of one each); on the ORM
    broker they are written with one multi-row INSERT per chunk instead of an INSERT and a
    commit each (and, outside a transaction, django-q2 closes and reopens the database
    connection before each insert). Each task is still built and signed by ``async_task``.
    A dispatcher that dies midway loses nothing: the rows stay ``queued`` and the reaper
    puts them back after ``QUEUED_TIMEOUT``."""
    broker = get_broker()
    for start in range(0, len(pks), ENQUEUE_CHUNK):
        with _batch(broker) as target:
            for pk in pks[start : start + ENQUEUE_CHUNK]:
                async_task(TASK, pk, save=False, broker=target)


class _OrmPackages:
    """Stands in for django-q2's ORM broker while a chunk is queued: keeps the signed
    packages ``async_task`` hands to ``enqueue``, to be written together."""

    def __init__(self, broker: Broker) -> None:
        self.list_key = broker.list_key
        self.packages: list[str] = []

    def enqueue(self, package: str) -> None:
        self.packages.append(package)


@contextmanager
def _batch(broker: Broker) -> Iterator[Any]:
    """The broker to queue a chunk's tasks with; they reach ``broker`` together at the
    end, where it can take them so."""
    if Conf.SYNC:  # tasks run as they are queued (tests): nothing to batch
        yield broker
    elif isinstance(broker, RedisBroker):
        # django-q2's Redis broker pushes with ``self.connection.rpush``: a pipeline
        # standing in for the connection collects the pushes, sent at the end
        connection = broker.connection
        broker.connection = pipeline = connection.pipeline(transaction=False)
        try:
            yield broker
            pipeline.execute()
        finally:
            broker.connection = connection
    elif isinstance(broker, OrmBroker):
        collected = _OrmPackages(broker)
        yield collected
        # the rows django-q2's ORM broker writes in ``enqueue``, written at once
        now = timezone.now()
        key = broker.list_key or Conf.CLUSTER_NAME
        OrmBroker.get_connection().bulk_create(
            [OrmQ(key=key, payload=package, lock=now) for package in collected.packages]
        )
    else:
        yield broker


def reap_lost(now: datetime.datetime | None = None) -> int:
    """Put runs whose lease ran out back to ``scheduled``; returns how many were taken back.

    A queued run never started (its task was lost) goes back as it was. A running run's
    worker died: its transaction rolled back, so nothing it did was kept; its ``Run`` is
    marked failed and it is retried, up to ``LOST_RETRIES`` times beyond its own retries.
    """
    now = now or timezone.now()
    requeued = ScheduledRun.objects.filter(status=Status.QUEUED, lease_expires_at__lt=now).update(
        status=Status.SCHEDULED, lease_expires_at=None
    )
    lost = list(
        ScheduledRun.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now)
        .select_related("workflow")
        .only("pk", "attempts", "run_id", "lease_expires_at", "workflow__retries")
    )
    for row in lost:
        allowed = row.workflow.retries + 1 + conf.get("LOST_RETRIES")
        message = (
            f"attempt {row.attempts}: the worker stopped during the run (killed or timed out); "
            "nothing it did was kept"
        )
        retry = row.attempts < allowed
        changed = ScheduledRun.objects.filter(
            pk=row.pk, status=Status.RUNNING, attempts=row.attempts
        ).update(
            status=Status.SCHEDULED if retry else Status.FAILED,
            due_at=now if retry else F("due_at"),
            finished_at=None if retry else now,
            lease_expires_at=None,
            last_error=message,
        )
        if changed and row.run_id:
            Run.objects.filter(pk=row.run_id, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                error_code="WORKER_LOST",
                error_message=message,
                finished_at=now,
            )
        requeued += changed if retry else 0
        if changed and not retry:
            _continue_recurring([row.pk], now)
    if requeued:
        logger.warning("%d scheduled run(s) taken back from a lost queue or worker", requeued)
    return requeued


def _continue_recurring(ids: list, now: datetime.datetime) -> None:
    """A recurring occurrence that will not run still schedules the next one."""
    rows = ScheduledRun.objects.filter(pk__in=ids, recurring__isnull=False).select_related(
        "recurring"
    )
    for row in rows:
        recurring.continue_after(row, now)
        recurring.record_outcome(row.recurring_id, row.status, now)


def run_forever(stop: threading.Event) -> None:
    """The dispatcher loop: hand due runs to django-q2 and reap lost ones until ``stop``.

    A database hiccup (SQLite busy, a PostgreSQL restart) is logged and retried, never fatal.
    Runs that came due while nothing was running are picked up on the first pass.
    """
    poll = conf.get("POLL_INTERVAL")
    reap_every = conf.get("REAP_INTERVAL")
    batch = conf.get("BATCH_SIZE")
    next_reap = 0.0
    logger.info("scheduler dispatcher started (poll every %s s)", poll)
    while not stop.is_set():
        try:
            if time.monotonic() >= next_reap:
                reap_lost()
                next_reap = time.monotonic() + reap_every
            result = dispatch_due(limit=batch)
            if len(result.queued) + result.missed >= batch:
                continue  # more are due: no pause
        except DatabaseError:
            logger.exception("scheduler dispatcher: database error; retrying")
            close_old_connections()
            stop.wait(1.0)
            continue
        stop.wait(poll)
    logger.info("scheduler dispatcher stopped")
