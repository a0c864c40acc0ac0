"""The execution side for real: `manage.py run_scheduler` processes (django-q2 cluster and
dispatcher) running scheduled runs exactly once — one cluster, two clusters on one database,
a cluster killed mid-run — and stopping cleanly on a signal at any moment.

Backend: the embedded default (a SQLite file, django-q2's ORM broker); when the suite runs
against PostgreSQL and Redis (``DATABASE_URL=postgres://...`` and ``REDIS_URL``, as the
second pass of ``.ci/run`` does), a fresh PostgreSQL database and Redis as the broker
(tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.e2e.scheduler_processes import (
    FAST,
    Scheduler,
    manage,
    read_report,
    schedule,
    wait_until_done,
)


def test_one_cluster_runs_each_scheduled_run_once(backend):
    manage(backend, "migrate", "--noinput")
    ids = schedule(backend, count=6, delay=1)
    scheduler = Scheduler(backend)
    try:
        wait_until_done(backend, 6, [scheduler])
    finally:
        log = scheduler.stop()
    report = read_report(backend)  # stopped: anything run twice would show now
    assert len(ids) == 6
    assert report["statuses"] == ["succeeded"], log
    assert report["attempts"] == [1] * 6
    assert report["succeeded_runs"] == 6 and report["things"] == report["distinct_things"] == 6
    assert all(late >= 0 for late in report["lateness"])  # none started before it was due


def test_two_clusters_on_one_database_never_complete_a_run_twice(backend):
    # each keeps few runs queued for itself, so both take part in the backlog
    backend["BUBBLE_SCHEDULER"] = json.dumps({**FAST, "QUEUE_DEPTH": 10})
    manage(backend, "migrate", "--noinput")
    schedule(backend, count=120, delay=2)
    first, second = Scheduler(backend), Scheduler(backend)
    try:
        wait_until_done(backend, 120, [first, second])
    finally:
        logs = first.stop() + second.stop()
    report = read_report(backend)
    assert report["statuses"] == ["succeeded"], logs
    assert report["succeeded_runs"] == 120
    assert report["things"] == report["distinct_things"] == 120  # no effect applied twice


def gated(url: str) -> dict:
    """The recording workflow with a call to ``url`` (a gate) before it records."""
    return {
        "name": "record",
        "timeout": 3600,
        "parameters": [{"key": "tag", "type": "text"}],
        "actions": [
            {"id": "wait", "type": "http_request", "method": "GET", "url": url},
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "{{ params.tag }}", "email": "e2e@example.com"},
            },
        ],
    }


def test_a_cluster_killed_mid_run_finishes_the_run_after_restart(backend, gate):
    backend["BUBBLE_HTTP_ALLOW_PRIVATE"] = "true"  # the gate is on loopback
    manage(backend, "migrate", "--noinput")
    schedule(backend, count=1, delay=0, definition=gated(gate.url))
    first = Scheduler(backend)
    try:
        gate.wait_for(1)  # the run is mid-way: its http_request step is held at the gate
    finally:
        first.kill()  # the whole process group, mid-run
    gate.open()
    second = Scheduler(backend)
    try:
        wait_until_done(backend, 1, [second])
    finally:
        log = second.stop()
    report = read_report(backend)
    assert report["attempts"] == [2], log
    assert report["lost_runs"] == 1 and report["succeeded_runs"] == 1
    assert report["things"] == 1  # the killed attempt's work was rolled back


@pytest.mark.parametrize("moment", ["scheduler starting", "scheduler ready"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_whole_process_group_stops_the_scheduler(backend, sig, moment):
    """systemd (KillMode=control-group), ``kill -- -PGID`` and Ctrl-C signal every process
    of the scheduler at once; whether it comes during start-up (the handlers are in place
    before "scheduler starting") or once it runs, it must stop with status 0 and leave no
    process behind — not be killed by the signal, nor wait forever on its dead cluster."""
    manage(backend, "migrate", "--noinput")
    scheduler = Scheduler(backend)
    scheduler.wait_for_line(moment)
    scheduler.send(sig)
    assert scheduler.wait() == 0, scheduler.output
