"""What one scheduled run costs the worker and the dispatcher, and the guarantees kept while
making it cheaper (docs/performance.md, "Scheduler throughput"): the claim and the run's log
row commit together, guarded status changes stay guarded, the dispatcher queues every run."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM as OrmBroker
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from scheduler import services
from scheduler.dispatch import dispatch_due
from scheduler.execution import NotClaimed, execute_scheduled_run, run_claimed
from scheduler.loading import load_scheduled_run
from scheduler.models import ScheduledRun, Status
from scheduler.queues import ENQUEUE_CHUNK, TASK, enqueue_tasks
from scheduler.transitions import transition
from workflows.models import Run, StepRun

TICK = {"kind": "api", "actions": [{"type": "log", "message": "tick"}]}
BOOKKEEPING = (
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
    "BEGIN",
    "COMMIT",
)


@pytest.fixture
def tick(make_workflow):
    return make_workflow("tick", **TICK)


def _queued(workflow, count: int = 1, **options) -> list[str]:
    services.schedule_on_list(workflow, list(range(count)), lambda item, i: {}, depth=0, **options)
    return dispatch_due(enqueue=False).queued


def test_a_trivial_scheduled_run_costs_seven_statements_six_on_postgresql(tick, user):
    """Load (with its workflow and user), the live version's number (which version runs,
    docs/versions.md), log row + claim, then "succeeded" + steps + the log's end. On
    PostgreSQL the claim and the log row are one statement (a data-modifying CTE). A raw
    django-q2 task running the same workflow through the engine costs four; a regression
    here shows in the throughput benchmark."""
    first, second = _queued(tick, 2, actor=user)
    execute_scheduled_run(first)  # compiles the workflow, reads the secrets to mask
    with CaptureQueriesContext(connection) as queries:
        assert execute_scheduled_run(second) == Status.SUCCEEDED
    statements = [
        " ".join((q["sql"].split()[0], q["sql"].split('"')[1]))
        for q in queries.captured_queries
        if not q["sql"].startswith(BOOKKEEPING)
    ]
    start = (
        ["WITH scheduler_scheduledrun"]
        if connection.vendor == "postgresql"
        else ["INSERT workflows_run", "UPDATE scheduler_scheduledrun"]
    )
    assert statements == [
        "SELECT scheduler_scheduledrun",
        "SELECT workflows_version",
        *start,
        "UPDATE scheduler_scheduledrun",
        "INSERT workflows_steprun",
        "UPDATE workflows_run",
    ]


def test_the_claim_and_the_log_row_commit_together(tick):
    (pk,) = _queued(tick)
    row = load_scheduled_run(pk)
    services.cancel([pk])  # cancelled after the worker read it, before it claimed it
    with pytest.raises(NotClaimed):
        run_claimed(row)
    assert not Run.objects.exists()  # the log row went with the failed claim
    assert ScheduledRun.objects.get(pk=pk).status == Status.CANCELLED


def test_a_claimed_run_links_its_log_in_the_claim(tick):
    (pk,) = _queued(tick)
    assert execute_scheduled_run(pk) == Status.SUCCEEDED
    row = ScheduledRun.objects.get(pk=pk)
    assert row.attempts == 1 and row.run is not None and row.started_at is not None
    assert row.run.status == "succeeded" and StepRun.objects.filter(run=row.run).count() == 1
    assert execute_scheduled_run(pk) == "skipped"  # a duplicate delivery does nothing


def test_the_parent_run_is_linked_without_loading_it(make_workflow, tick):
    fanout = make_workflow(
        "fanout",
        kind="api",
        actions=[{"type": "schedule_workflow_on_list", "list": "{{ [1, 2] }}", "workflow": "tick"}],
    )
    from workflows import engine

    parent = engine.run(fanout, {}, None).run
    for pk in dispatch_due(enqueue=False).queued:
        assert execute_scheduled_run(pk) == Status.SUCCEEDED
    children = Run.objects.filter(workflow_name="tick")
    assert children.count() == 2 and {run.parent_id for run in children} == {parent.pk}


def test_transition_is_guarded_by_status_and_attempts(tick):
    (pk,) = _queued(tick)
    now = timezone.now()
    assert not transition(pk, Status.SCHEDULED, None, {"status": Status.CANCELLED})
    assert not transition(pk, Status.QUEUED, 3, {"status": Status.RUNNING})
    run = Run.objects.create(workflow_name="tick")
    changes = {
        "status": Status.RUNNING,
        "attempts": 1,
        "started_at": now,
        "lease_expires_at": now + datetime.timedelta(minutes=5),
        "run": run,
    }
    assert transition(pk, Status.QUEUED, 0, changes)
    row = ScheduledRun.objects.get(pk=pk)
    assert (row.status, row.attempts, row.started_at, row.run_id) == (
        Status.RUNNING,
        1,
        now,
        run.pk,
    )
    assert row.lease_expires_at == now + datetime.timedelta(minutes=5)
    assert not transition(pk, Status.QUEUED, 0, changes)  # a second claim finds it taken


def test_the_dispatcher_queues_every_claimed_run(tick):
    broker = get_broker()
    broker.purge_queue()
    count = 2 * ENQUEUE_CHUNK + 1  # full chunks and a partial one
    services.schedule_on_list(tick, list(range(count)), lambda item, i: {}, depth=0)
    try:
        result = dispatch_due()
        assert len(result.queued) == count == broker.queue_size()
        tasks = []
        while (package := broker.dequeue()) is not None:
            for task_id, payload in package:
                tasks.append(SignedPackage.loads(payload))
                broker.acknowledge(task_id)
            if len(tasks) >= count:
                break
        assert sorted(t["args"][0] for t in tasks) == sorted(result.queued)
        assert {t["func"] for t in tasks} == {TASK} and not any(t["save"] for t in tasks)
    finally:
        broker.purge_queue()


def test_the_orm_broker_gets_one_insert_per_chunk(tick):
    broker = get_broker()
    if not isinstance(broker, OrmBroker):
        pytest.skip("the ORM broker only (REDIS_URL is set)")
    broker.purge_queue()
    pks = [str(uuid.uuid4()) for _ in range(2 * ENQUEUE_CHUNK + 1)]
    try:
        with CaptureQueriesContext(connection) as queries:
            enqueue_tasks(pks)
        inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 3 and broker.queue_size() == len(pks)
        payloads = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
        assert sorted(task["args"][0] for task in payloads) == sorted(pks)
        assert {row.key for row in OrmQ.objects.all()} == {broker.list_key}
    finally:
        broker.purge_queue()
