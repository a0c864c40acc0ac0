"""What a dead scheduler process held is taken back at once (scheduler/dispatch.py,
docs/scheduler.md "Recovery"): its queued runs are dispatched again, its running ones
retried, its queue thrown away — and when it was only stalled, the duplicates this makes
complete nothing twice."""

from __future__ import annotations

import datetime
import os
import threading
from pathlib import Path

import pytest
from django.utils import timezone

from examples.models import Customer
from scheduler import processes, queues, services
from scheduler.dispatch import dispatch_due, reap_lost, take_back
from scheduler.execution import claim, execute_scheduled_run
from scheduler.models import ScheduledRun, SchedulerProcess, Status
from workflows.choices import RunStatus
from workflows.models import Run

RECORD = {
    "kind": "api",
    "parameters": [{"key": "tag", "type": "text"}],
    "actions": [
        {
            "type": "create_thing",
            "data_type": "examples.Customer",
            "fields": {"name": "{{ params.tag }}", "email": "r@example.com"},
        }
    ],
}


@pytest.fixture
def record(make_workflow):
    return make_workflow("record", **RECORD)


@pytest.fixture(autouse=True)
def _no_registration(monkeypatch):
    monkeypatch.setattr(processes, "_current", None)


@pytest.fixture
def dead_process(db):
    """A scheduler that ran on this machine and is gone (its PID does not exist)."""
    try:
        pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except OSError:
        pid = 2**22 + 1
    return SchedulerProcess.objects.create(host="here", machine=processes.machine(), pid=pid)


@pytest.fixture
def live_process(db):
    return SchedulerProcess.objects.create(
        host="here", machine=processes.machine(), pid=os.getppid()
    )


def _schedule(workflow, count: int) -> list[str]:
    runs = services.schedule_on_list(
        workflow, list(range(count)), lambda item, i: {"tag": f"run-{item}"}, depth=0
    )
    return [str(pk) for pk in runs]


def _purge(*holders) -> None:
    for holder in holders:
        queues.discard(queues.name_for(holder.pk))


def test_the_dispatcher_queues_into_its_own_queue_and_marks_the_runs_held(record, live_process):
    _schedule(record, 3)
    try:
        result = dispatch_due(holder=live_process.pk)
        assert len(result.queued) == 3
        assert queues.waiting(queues.name_for(live_process.pk)) == 3
        assert queues.waiting(None) == 0  # nothing in django-q2's shared queue
        rows = ScheduledRun.objects.all()
        assert {(row.status, row.holder) for row in rows} == {(Status.QUEUED, live_process.pk)}
    finally:
        _purge(live_process)


def test_the_dispatcher_keeps_its_queue_at_most_queue_depth_deep(record, live_process, settings):
    settings.BUBBLE_SCHEDULER = {"QUEUE_DEPTH": 4}
    _schedule(record, 10)
    broker = queues.broker_for(queues.name_for(live_process.pk))
    try:
        assert len(dispatch_due(holder=live_process.pk).queued) == 4
        assert dispatch_due(holder=live_process.pk).queued == []  # full: left for others
        _take_tasks(broker, 1)
        assert dispatch_due(holder=live_process.pk).queued == []  # more than half waits
        _take_tasks(broker, 1)
        assert len(dispatch_due(holder=live_process.pk).queued) == 2  # topped up
        assert ScheduledRun.objects.filter(status=Status.SCHEDULED).count() == 4
    finally:
        _purge(live_process)


def _take_tasks(broker, count: int) -> None:
    """What a cluster does with ``count`` tasks of its queue: take them, then acknowledge."""
    for _ in range(count):
        for task_id, _payload in broker.dequeue():
            broker.acknowledge(task_id)


def test_a_worker_s_claim_names_its_scheduler_process(record, live_process, monkeypatch):
    (pk,) = _schedule(record, 1)
    dispatch_due(enqueue=False, holder=live_process.pk)
    other = SchedulerProcess.objects.create(host="h", machine="m", pid=1)
    monkeypatch.setattr(processes, "_current", other.pk)  # a worker forked from ``other``
    assert claim(pk).holder == other.pk
    assert ScheduledRun.objects.get(pk=pk).holder == other.pk


def test_a_dead_process_s_queue_and_running_runs_are_taken_back_at_once(
    record, dead_process, monkeypatch
):
    queued, running, done = _schedule(record, 3)
    queue = queues.name_for(dead_process.pk)
    try:
        dispatch_due(holder=dead_process.pk)
        monkeypatch.setattr(processes, "_current", dead_process.pk)  # its workers
        assert execute_scheduled_run(done) == Status.SUCCEEDED
        claim(running)  # then killed mid-run: its transaction never committed
        dead_run = Run.objects.create(workflow=record, workflow_name="record")
        ScheduledRun.objects.filter(pk=running).update(run=dead_run)
        monkeypatch.setattr(processes, "_current", None)

        assert reap_lost() == 2  # no lease has run out: its PID is gone
    finally:
        _purge(dead_process)
    assert ScheduledRun.objects.get(pk=queued).status == Status.SCHEDULED
    retried = ScheduledRun.objects.get(pk=running)
    assert (retried.status, retried.attempts, retried.holder) == (Status.SCHEDULED, 1, None)
    dead_run.refresh_from_db()
    assert (dead_run.status, dead_run.error_code) == (RunStatus.FAILED, "WORKER_LOST")
    assert ScheduledRun.objects.get(pk=done).status == Status.SUCCEEDED
    assert not SchedulerProcess.objects.filter(pk=dead_process.pk).exists()
    assert queues.waiting(queue) == 0  # its queue (rows it had locked too) is gone
    assert sorted(dispatch_due(enqueue=False).queued) == sorted([queued, running])


def test_a_live_process_s_runs_stay_where_they_are(record, live_process):
    _schedule(record, 2)
    try:
        dispatch_due(holder=live_process.pk)
        assert reap_lost() == 0
        assert queues.waiting(queues.name_for(live_process.pk)) == 2
    finally:
        _purge(live_process)
    assert ScheduledRun.objects.filter(status=Status.QUEUED).count() == 2


def test_a_scheduler_that_stops_hands_back_what_its_queue_still_holds(record, live_process):
    _schedule(record, 2)
    dispatch_due(holder=live_process.pk)
    assert take_back([live_process.pk]) == 2
    assert ScheduledRun.objects.filter(status=Status.SCHEDULED, holder=None).count() == 2
    assert queues.waiting(queues.name_for(live_process.pk)) == 0


def test_the_lease_still_takes_back_a_run_lost_while_its_scheduler_lives(record, live_process):
    """A task lost inside a live scheduler (its heartbeat says nothing about it) comes
    back after ``QUEUED_TIMEOUT``, as before."""
    (pk,) = _schedule(record, 1)
    dispatch_due(enqueue=False, holder=live_process.pk)
    later = timezone.now() + datetime.timedelta(seconds=301)
    SchedulerProcess.objects.filter(pk=live_process.pk).update(beat_at=later)
    assert reap_lost(later) == 1
    assert ScheduledRun.objects.get(pk=pk).status == Status.SCHEDULED


@pytest.mark.parametrize("first", ["stalled", "survivor"])
def test_a_stalled_process_taken_for_dead_completes_nothing_twice(
    record, live_process, monkeypatch, first
):
    """A process only stalled (its heartbeat stale) is taken for dead: its runs are handed
    to another while it still has them. Both deliveries of each run arrive; whichever comes
    first claims it, the other is skipped, and the work is done once."""
    survivor = SchedulerProcess.objects.create(host="h", machine="m", pid=1)
    (pk,) = _schedule(record, 1)
    try:
        dispatch_due(holder=live_process.pk)  # in the stalled one's queue (and hands)
        later = timezone.now() + datetime.timedelta(seconds=31)
        SchedulerProcess.objects.filter(pk=survivor.pk).update(beat_at=later)
        assert reap_lost(later, me=survivor.pk) == 1
        assert dispatch_due(holder=survivor.pk).queued == [pk]
    finally:
        _purge(live_process, survivor)
    order = [live_process, survivor] if first == "stalled" else [survivor, live_process]
    outcomes = []
    for process in order:
        monkeypatch.setattr(processes, "_current", process.pk)  # one of its workers
        outcomes.append(execute_scheduled_run(pk))
    assert outcomes == [Status.SUCCEEDED, "skipped"]
    row = ScheduledRun.objects.get(pk=pk)
    assert (row.status, row.attempts, row.holder) == (Status.SUCCEEDED, 1, order[0].pk)
    assert Customer.objects.filter(name="run-0").count() == 1
    assert Run.objects.filter(workflow_name="record", status=RunStatus.SUCCEEDED).count() == 1


def test_a_stalled_process_s_running_attempt_loses_to_the_retry(record, live_process):
    """Its worker was mid-run when it was taken for dead: the run is retried elsewhere,
    and the stalled attempt, when it finishes, rolls back (its "succeeded" is fenced)."""
    from scheduler.execution import run_claimed

    (pk,) = _schedule(record, 1)
    dispatch_due(enqueue=False, holder=live_process.pk)
    stalled = claim(pk)
    later = timezone.now() + datetime.timedelta(seconds=31)
    assert reap_lost(later) == 1
    assert dispatch_due(later, enqueue=False).queued == [pk]
    assert execute_scheduled_run(pk) == Status.SUCCEEDED  # the retry, elsewhere
    assert run_claimed(stalled) == "lost"  # the stalled worker wakes up
    assert Customer.objects.filter(name="run-0").count() == 1
    assert ScheduledRun.objects.get(pk=pk).attempts == 2


def test_a_run_whose_task_fails_before_its_claim_is_handed_back(record, monkeypatch, frozen_now):
    """django-q2 acknowledges a failed task: a run left queued by a database error before
    its claim goes back to the dispatcher (after REAP_INTERVAL), not after QUEUED_TIMEOUT."""
    from django.db import OperationalError

    from scheduler import tasks

    queued, running = _schedule(record, 2)
    dispatch_due(enqueue=False)
    claim(running)

    def locked(pk):
        raise OperationalError("database is locked")

    monkeypatch.setattr(tasks, "_execute", locked)
    for pk in (queued, running):
        with pytest.raises(OperationalError):
            tasks.execute_scheduled_run(pk)
    row = ScheduledRun.objects.get(pk=queued)
    assert (row.status, row.holder) == (Status.SCHEDULED, None)
    assert row.due_at == frozen_now + datetime.timedelta(seconds=5)  # REAP_INTERVAL
    assert ScheduledRun.objects.get(pk=running).status == Status.RUNNING  # claimed: its lease


class _NoWait(threading.Event):
    """A stop event whose waits return at once: one pass of the loop, no pause."""

    def wait(self, timeout: float | None = None) -> bool:
        return self.is_set()


def test_the_scheduler_loop_ends_api_runs_whose_web_worker_died(make_workflow):
    """An API run's process (a web worker) has no reaper of its own: the scheduler's loop
    ends such a run as WORKER_LOST once its timeout is long past."""
    from scheduler.dispatch import run_forever
    from workflows.choices import Commit, RunSource

    wf = make_workflow("stepwise", timeout=60, commit=Commit.EACH_STEP)
    abandoned = Run.objects.create(
        workflow=wf,
        workflow_name=wf.name,
        source=RunSource.API,
        status=RunStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(hours=1),
    )
    passes = iter([True, False])
    run_forever(_NoWait(), alive=lambda: next(passes))
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.error_code) == (RunStatus.FAILED, "WORKER_LOST")
    assert "the steps that had ended were kept" in abandoned.error_message
