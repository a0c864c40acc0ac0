"""A scheduler that dies mid-drain loses nothing and delays nothing: what it held — runs in
its workers, in its cluster's hands, in its queue, or claimed and not yet queued — is taken
back at once by the scheduler restarted in its place or by a surviving peer, and every run
completes exactly once (docs/scheduler.md, "Recovery").

The leases that used to be the only way back are set far beyond the tests' deadlines
(``QUEUED_TIMEOUT``, ``RUNNING_GRACE``, and ``HEARTBEAT_TIMEOUT`` where a test is about a
dead PID), so only the mechanism under test can drain the backlog in time. A run is held
mid-way at a gate (tests/e2e/conftest.py) while a scheduler is killed: the kill always
lands mid-drain, however fast or slow the machine is — some runs done, one running, the
others in the dead cluster's hands, in its queue, or claimed and not yet queued.

One run is held, not one per worker: on SQLite a run's transaction holds the database's
write lock, so the other worker waits for it anyway.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.e2e.scheduler_processes import (
    DRAIN_TIMEOUT,
    FAST,
    Scheduler,
    cluster_processes,
    held_by,
    manage,
    read_report,
    schedule,
    wait_until,
    wait_until_done,
)
from tests.e2e.test_scheduler_cluster import gated

RUNS = 30
PEER_RUNS = 100
DONE_BEFORE = 5  # runs that pass the gate; the next one is held there
#: nothing is taken back by a lease within the tests' deadlines
NO_LEASES = {**FAST, "QUEUED_TIMEOUT": 36_000, "RUNNING_GRACE": 36_000}


def _backlog(backend: dict[str, str], gate, **tuning: float) -> None:
    backend["BUBBLE_SCHEDULER"] = json.dumps({**NO_LEASES, **tuning})
    backend["BUBBLE_HTTP_ALLOW_PRIVATE"] = "true"  # the gate is on loopback
    manage(backend, "migrate", "--noinput")
    schedule(backend, count=RUNS, delay=0, definition=gated(gate.url))
    gate.free = DONE_BEFORE


def _held_mid_drain(backend: dict[str, str], gate) -> Scheduler:
    """A scheduler that has run some of the backlog, with a run held mid-way and the rest
    queued for it."""
    scheduler = Scheduler(backend)
    gate.wait_for(DONE_BEFORE + 1)
    return scheduler


def _assert_each_run_completed_once(report: dict, log: str) -> None:
    assert report["statuses"] == ["succeeded"], log
    assert report["done"] == RUNS and report["succeeded_runs"] == RUNS, report
    assert report["things"] == report["distinct_things"] == RUNS  # no effect twice
    # the runs killed mid-way (the one at the gate, maybe the other worker's) were retried
    assert report["lost_runs"] >= 1
    retried = report["lost_runs"]
    assert report["attempts"] == [1] * (RUNS - retried) + [2] * retried


def test_a_scheduler_restarted_after_kill_9_takes_back_the_backlog_at_once(backend, gate):
    _backlog(backend, gate, HEARTBEAT_TIMEOUT=36_000)  # only its PID can tell it is dead
    first = _held_mid_drain(backend, gate)
    first.kill()  # kill -9 of the whole process group
    gate.open()
    second = Scheduler(backend)
    try:
        wait_until_done(backend, RUNS, [second])
    finally:
        log = second.stop()
    _assert_each_run_completed_once(read_report(backend), log)


def test_a_surviving_scheduler_takes_back_what_a_killed_peer_held(backend):
    """One scheduler holds runs in its queue (its cluster frozen, so they stay there) while
    another drains the rest of the backlog; the first is killed: the other takes its runs
    back at once. No gate here: on SQLite a run held at one would hold the database's write
    lock, and the survivor could not even start."""
    backend["BUBBLE_SCHEDULER"] = json.dumps(
        {**NO_LEASES, "HEARTBEAT_TIMEOUT": 36_000, "QUEUE_DEPTH": 20}
    )
    manage(backend, "migrate", "--noinput")
    first = Scheduler(backend).ready()
    try:
        # frozen while idle (no run, no transaction): its dispatcher still queues for it
        cluster = cluster_processes(first)
        assert len(cluster) == 4, cluster  # two workers, the pusher, the monitor
        for pid in cluster:
            os.kill(pid, signal.SIGSTOP)
        schedule(backend, count=PEER_RUNS, delay=0)
        assert wait_until(lambda: held_by(backend, first.pid) > 0, DRAIN_TIMEOUT)
        second = Scheduler(backend).ready()
    finally:
        first.kill()
    try:
        wait_until_done(backend, PEER_RUNS, [second])
    finally:
        log = second.stop()
    report = read_report(backend)
    assert report["statuses"] == ["succeeded"], log
    assert report["done"] == report["succeeded_runs"] == PEER_RUNS, report
    assert report["things"] == report["distinct_things"] == PEER_RUNS  # no effect twice
    assert "taken back from scheduler process(es) gone" in log


def test_a_stalled_scheduler_taken_for_dead_completes_nothing_twice(backend, gate):
    """A scheduler frozen (SIGSTOP) past ``HEARTBEAT_TIMEOUT`` is taken for dead and its
    runs are handed to the other, while it still holds them in memory and mid-run. When it
    wakes up, both have the same runs: the guarded claim lets one start each, the fenced
    "succeeded" rolls back the stalled attempt, and it registers again.

    PostgreSQL only: on SQLite the run frozen mid-way would hold the database's write lock,
    and nothing could take anything over (tests/scheduler/test_recovery.py checks the
    same duplicates on SQLite, in one process)."""
    if "DATABASE_URL" not in backend:
        pytest.skip("a frozen run holds SQLite's write lock (PostgreSQL + Redis only)")
    _backlog(backend, gate, HEARTBEAT_TIMEOUT=2)
    first = _held_mid_drain(backend, gate)
    second = Scheduler(backend).ready()
    first.send(signal.SIGSTOP)
    try:
        # the survivor took the stalled one's running runs back (and its queue with them)
        assert wait_until(lambda: read_report(backend)["lost_runs"] >= 1, DRAIN_TIMEOUT)
    finally:
        gate.open()
        first.send(signal.SIGCONT)
    try:
        wait_until_done(backend, RUNS, [first, second])
    finally:
        logs = first.stop() + second.stop()  # stopped: nothing more can run
    report = read_report(backend)
    assert report["statuses"] == ["succeeded"], logs
    assert report["done"] == RUNS and report["succeeded_runs"] == RUNS, report
    assert report["things"] == report["distinct_things"] == RUNS  # no effect twice
    assert "taken for dead" in logs
