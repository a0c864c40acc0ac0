"""Fixtures of the end-to-end tests: a fresh backend for ``run_scheduler`` processes, and a
gate that holds their runs mid-way until the test lets them go."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.e2e.scheduler_processes import FAST, START_TIMEOUT, Scheduler, group_members


def _postgres_and_redis() -> tuple[str, str] | None:
    url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if url.startswith(("postgres://", "postgresql://")) and redis_url:
        return url, redis_url
    return None


@pytest.fixture
def backend(tmp_path) -> Iterator[dict[str, str]]:
    """Environment for subprocesses: a fresh database of the suite's kind — the embedded
    default (a SQLite file, django-q2's ORM broker), or, when the suite runs against
    PostgreSQL and Redis (``DATABASE_URL=postgres://...`` and ``REDIS_URL``), a new
    PostgreSQL database with the suite's Redis as the broker. Each ``run_scheduler`` has
    a queue of its own there, so nothing else using that Redis database is disturbed."""
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

    url, redis_url = services
    base, _, _ = url.rpartition("/")
    name = f"bubble_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env.update(DATABASE_URL=f"{base}/{name}", REDIS_URL=redis_url)
    try:
        yield env
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _no_scheduler_left_behind() -> Iterator[None]:
    """Whatever a test did or failed to do, every ``run_scheduler`` it started (stopped,
    frozen or running) is killed with its whole process group when it ends."""
    yield
    while Scheduler.started:
        scheduler = Scheduler.started.pop()
        # a group with members keeps its id from being reused: still this scheduler's
        if scheduler.running() or group_members(scheduler.pid):
            scheduler.kill()


class Gate:
    """An HTTP endpoint a workflow calls on its way: the first ``free`` calls pass, later
    ones wait there until ``open()`` — runs held mid-way for as long as a test needs,
    without guessing how long anything takes."""

    def __init__(self, server: HTTPServer, free: int = 0) -> None:
        self.url = server.url_for("/gate")
        self.free = free
        self.arrived = 0
        self._opened = threading.Event()
        self._changed = threading.Condition()
        server.expect_request("/gate").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        with self._changed:
            self.arrived += 1
            held = self.arrived > self.free
            self._changed.notify_all()
        if held:
            self._opened.wait()
        return Response("ok")

    def wait_for(self, arrivals: int, timeout: float = START_TIMEOUT) -> None:
        """Until ``arrivals`` calls have come (those beyond ``free`` are waiting here)."""
        with self._changed:
            assert self._changed.wait_for(lambda: self.arrived >= arrivals, timeout), (
                f"{self.arrived} of {arrivals} calls arrived"
            )

    def open(self) -> None:
        self._opened.set()


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A ``Gate`` on a threaded server of its own (pytest-httpserver's default answers one
    request at a time, so a held call would hold every other)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    opened = Gate(server)
    try:
        yield opened
    finally:
        opened.open()
        server.clear()
        server.stop()
