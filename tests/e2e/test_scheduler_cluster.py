"""The execution side for real: `manage.py run_scheduler` processes (django-q2 cluster and
dispatcher) running scheduled runs exactly once — one cluster, two clusters on one database,
and a cluster killed mid-run.

Backend: the embedded default (a SQLite file, django-q2's ORM broker); when the suite runs
against PostgreSQL and Redis (``DATABASE_URL=postgres://...`` and ``REDIS_URL``, as the
second pass of ``.ci/run`` does), a fresh PostgreSQL database and Redis as the broker.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = {"POLL_INTERVAL": 0.05, "REAP_INTERVAL": 0.5, "RUNNING_GRACE": 1, "QUEUED_TIMEOUT": 30}


def _postgres_and_redis() -> tuple[str, str] | None:
    url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if url.startswith(("postgres://", "postgresql://")) and redis_url:
        return url, redis_url
    return None


@pytest.fixture
def backend(tmp_path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses: a fresh database (and Redis queue) of the suite's kind."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        BUBBLE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="bubble_backend.settings",
        BUBBLE_SCHEDULER=json.dumps(FAST),
        Q_WORKERS="2",
        LOG_LEVEL="WARNING",
    )
    services = _postgres_and_redis()
    if services is None:
        yield env
        return
    import psycopg
    import redis

    url, redis_url = services
    base, _, _ = url.rpartition("/")
    name = f"bubble_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    queue = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(queue).flushdb()
    env.update(DATABASE_URL=f"{base}/{name}", REDIS_URL=queue)
    try:
        yield env
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def django(env: dict[str, str], code: str) -> object:
    """Run Python in a Django shell of that backend; it prints JSON, which is returned."""
    out = manage(env, "shell", "--no-imports", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


def start_scheduler(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "run_scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the cluster's children go with it
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    return out.decode(errors="replace")[-3000:]


SETUP = """
import json, datetime
from django.utils import timezone
from workflows.definitions import save_definition
from workflows.engine.compiler import compile_definition
from scheduler import services
d = {definition}
compile_definition(d)
wf, _ = save_definition(d)
now = timezone.now()
ids = [str(services.schedule(wf, {{"tag": f"run-{{i}}"}},
                             now + datetime.timedelta(seconds={delay} + (i % 2))).pk)
       for i in range({count})]
print(json.dumps(ids))
"""


def read_report(env: dict[str, str]) -> dict:
    """What happened, read straight from the database (a Django shell per poll would cost
    two seconds of start-up each time)."""
    with _connect(env) as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT status, attempts, due_at, started_at FROM scheduler_scheduledrun")
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN error_code = 'WORKER_LOST' THEN 1 ELSE 0 END) FROM workflows_run"
        )
        succeeded, lost = cursor.fetchone()
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT name) FROM examples_customer")
        things, distinct = cursor.fetchone()
    return {
        "statuses": sorted({status for status, *_ in rows}),
        "lateness": [(_moment(s) - _moment(d)).total_seconds() for _, _, d, s in rows if s],
        "attempts": sorted(attempts for _, attempts, _, _ in rows),
        "succeeded_runs": succeeded or 0,
        "lost_runs": lost or 0,
        "things": things,
        "distinct_things": distinct,
    }


@contextlib.contextmanager
def _connect(env: dict[str, str]) -> Iterator[Any]:
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            yield conn
        return
    conn = sqlite3.connect(Path(env["BUBBLE_VAR_DIR"]) / "db.sqlite3", timeout=20)
    try:
        yield conn
    finally:
        conn.close()


def _moment(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


RECORD = {
    "name": "record",
    "parameters": [{"key": "tag", "type": "text"}],
    "actions": [
        {
            "type": "create_thing",
            "data_type": "examples.Customer",
            "fields": {"name": "{{ params.tag }}", "email": "e2e@example.com"},
        },
    ],
}


def schedule(env, count: int, delay: float, definition=RECORD) -> list[str]:
    code = SETUP.format(definition=repr(definition), delay=delay, count=count)
    return django(env, code)


def wait_until_done(env, count: int, processes, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = read_report(env)
        if report["statuses"] == ["succeeded"] and report["succeeded_runs"] >= count:
            return report
        for p in processes:
            assert p.poll() is None, stop(p)
        assert time.monotonic() < deadline, report
        time.sleep(0.5)


def test_one_cluster_runs_each_scheduled_run_once(backend):
    manage(backend, "migrate", "--noinput")
    ids = schedule(backend, count=6, delay=1)
    scheduler = start_scheduler(backend)
    try:
        report = wait_until_done(backend, 6, [scheduler])
        time.sleep(1.5)  # anything run twice would show now
        report = read_report(backend)
    finally:
        log = stop(scheduler)
    assert len(ids) == 6
    assert report["statuses"] == ["succeeded"], log
    assert report["attempts"] == [1] * 6
    assert report["succeeded_runs"] == 6 and report["things"] == report["distinct_things"] == 6
    assert all(late >= 0 for late in report["lateness"])  # none started before it was due


def test_two_clusters_on_one_database_never_complete_a_run_twice(backend):
    manage(backend, "migrate", "--noinput")
    schedule(backend, count=120, delay=2)
    first, second = start_scheduler(backend), start_scheduler(backend)
    try:
        wait_until_done(backend, 120, [first, second])
        time.sleep(1.5)
        report = read_report(backend)
    finally:
        logs = stop(first) + stop(second)
    assert report["statuses"] == ["succeeded"], logs
    assert report["succeeded_runs"] == 120
    assert report["things"] == report["distinct_things"] == 120  # no effect applied twice


SLOW = {
    "name": "record",
    "timeout": 5,
    "parameters": [{"key": "tag", "type": "text"}],
    "actions": [
        {"id": "wait", "type": "http_request", "method": "GET", "url": "{url}", "timeout": 10},
        {
            "type": "create_thing",
            "data_type": "examples.Customer",
            "fields": {"name": "{{{{ params.tag }}}}", "email": "e2e@example.com"},
        },
    ],
}


def test_a_cluster_killed_mid_run_finishes_the_run_after_restart(backend, httpserver):
    from werkzeug import Response

    arrived = threading.Event()
    calls: list[int] = []

    def slow(request):
        calls.append(1)
        arrived.set()
        if len(calls) == 1:
            time.sleep(3)  # the first attempt is killed while it waits here
        return Response("ok")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    definition = json.loads(json.dumps(SLOW).replace("{url}", httpserver.url_for("/slow")))
    definition["actions"][1]["fields"]["name"] = "{{ params.tag }}"
    backend["BUBBLE_HTTP_ALLOW_PRIVATE"] = "true"  # the slow server is on loopback
    manage(backend, "migrate", "--noinput")
    schedule(backend, count=1, delay=0, definition=definition)
    first = start_scheduler(backend)
    try:
        # the run is mid-way once its http_request step has reached the slow server
        assert arrived.wait(60) and first.poll() is None, stop(first)
    finally:
        stop(first, signal.SIGKILL)  # the whole process group, mid-run
    second = start_scheduler(backend)
    try:
        report = wait_until_done(backend, 1, [second], timeout=60)
    finally:
        log = stop(second)
    assert report["attempts"] == [2], log
    assert report["lost_runs"] == 1 and report["succeeded_runs"] == 1
    assert report["things"] == 1  # the killed attempt's work was rolled back


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_whole_process_group_stops_the_scheduler(backend, sig):
    """systemd (KillMode=control-group), ``kill -- -PGID`` and Ctrl-C signal every process
    of the scheduler at once; it must stop, not wait forever on its dead cluster."""
    manage(backend, "migrate", "--noinput")
    scheduler = start_scheduler(backend)
    time.sleep(3)  # the cluster is up
    os.killpg(scheduler.pid, sig)
    try:
        scheduler.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(scheduler.pid, signal.SIGKILL)
        raise AssertionError(f"run_scheduler still running 20 s after {sig!r}") from None
    assert scheduler.returncode == 0, stop(scheduler)
