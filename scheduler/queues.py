"""django-q2's queues as the dispatcher uses them: hand over run ids, see how many wait,
throw away a dead scheduler's queue.

A ``run_scheduler`` with its own cluster has its own queue (``name_for`` its
``SchedulerProcess``), so what waits in it, or was taken from it by its cluster, is known to
be that process's; ``None`` is django-q2's shared queue (``run_scheduler --no-cluster``
with plain ``qcluster`` workers).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM as OrmBroker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

TASK = "scheduler.tasks.execute_scheduled_run"
#: tasks handed to django-q2's broker at once (one transaction on the ORM broker, one
#: pipeline on Redis): workers see the first ones after this many, a few milliseconds
ENQUEUE_CHUNK = 50


def name_for(process_id: uuid.UUID | None) -> str | None:
    """The queue of scheduler process ``process_id`` (None: django-q2's shared queue)."""
    return None if process_id is None else f"{Conf.CLUSTER_NAME}.{process_id.hex}"


@functools.lru_cache(maxsize=8)
def broker_for(queue: str | None) -> Broker:
    """The broker of ``queue``, kept: on Redis each new one is a new connection pool."""
    return get_broker(queue)


def waiting(queue: str | None) -> int:
    """Tasks in ``queue`` not yet done: on the ORM broker its rows, taken by a cluster or
    not (a row goes when its task is acknowledged); on Redis those not yet taken."""
    broker = broker_for(queue)
    if isinstance(broker, OrmBroker):
        return broker.get_connection().filter(key=broker.list_key).count()
    return broker.queue_size() or 0


def discard(queue: str) -> None:
    """Throw away a dead scheduler's queue (its runs have been taken back): on the ORM
    broker its rows, locked by the dead cluster or not; on Redis its list."""
    get_broker(queue).delete_queue()


def enqueue_tasks(pks: list[str], queue: str | None = None) -> None:
    """Hand claimed run ids to django-q2's ``queue``, cheaply. ``async_task`` makes a broker
    per task (on Redis a new connection) unless given one; on Redis its pushes then go
    through one pipeline per ``ENQUEUE_CHUNK`` tasks (one round trip instead of one each);
    on the ORM broker they are written with one multi-row INSERT per chunk instead of an
    INSERT and a commit each (and, outside a transaction, django-q2 closes and reopens the
    database connection before each insert). Each task is still built and signed by
    ``async_task``. A dispatcher that dies midway loses nothing: the rows stay ``queued``,
    held by its process, and are taken back when it is found dead."""
    broker = broker_for(queue)
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
