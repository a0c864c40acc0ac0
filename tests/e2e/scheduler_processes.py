"""Helpers for tests that run the execution side for real: ``manage.py run_scheduler``
processes, each in its own process group, on a fresh database of the suite's kind.

Nothing here waits a fixed time: processes are waited for by the lines they print
(``scheduler ready``), runs by what the database shows, each with a generous deadline.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: generous deadlines: the machine may be busy with other work
START_TIMEOUT = 120.0
DRAIN_TIMEOUT = 240.0
FAST = {"POLL_INTERVAL": 0.05, "REAP_INTERVAL": 0.5, "RUNNING_GRACE": 1, "QUEUED_TIMEOUT": 30}


def manage(env: dict[str, str], *args: str, timeout: float = START_TIMEOUT) -> str:
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


def django(env: dict[str, str], code: str) -> Any:
    """Run Python in a Django shell of that backend; it prints JSON, which is returned."""
    out = manage(env, "shell", "--no-imports", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


class Scheduler:
    """A ``manage.py run_scheduler`` in its own process group (the cluster's children go
    with it), its output read line by line as it comes. Every one started is in
    ``Scheduler.started``, so that a failing test leaves none behind (tests/e2e/conftest.py)."""

    started: list[Scheduler] = []

    def __init__(self, env: dict[str, str]) -> None:
        Scheduler.started.append(self)
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "run_scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)[-5000:]

    def wait_for_line(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Until a line starts with ``text``; fails if the process ends or time runs out."""

        def seen() -> bool:
            return (
                any(line.startswith(text) for line in self.lines) or self.process.poll() is not None
            )

        with self._changed:
            assert self._changed.wait_for(seen, timeout), f"no {text!r} yet:\n{self.output}"
        assert any(line.startswith(text) for line in self.lines), (
            f"run_scheduler ended before {text!r}:\n{self.output}"
        )

    def ready(self) -> Scheduler:
        self.wait_for_line("scheduler ready")
        return self

    def running(self) -> bool:
        return self.process.poll() is None

    def send(self, sig: int) -> None:
        """``sig`` to the whole process group, as systemd and ``kill -- -PGID`` do."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def wait(self, timeout: float = START_TIMEOUT) -> int:
        """Its exit status, once it has exited and its group is empty."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            raise AssertionError(f"run_scheduler still running:\n{self.output}") from None
        assert wait_until(lambda: not group_members(self.pid), timeout), (
            f"processes of run_scheduler's group outlived it: {group_members(self.pid)}"
        )
        self._reader.join(timeout)
        return code

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop it (SIGTERM: cleanly) and return its output; SIGKILL if it will not."""
        self.send(sig)
        try:
            self.process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            self.process.wait()
        if not wait_until(lambda: not group_members(self.pid), START_TIMEOUT):
            self.send(signal.SIGKILL)  # members left: the group is still this one
        self._reader.join(START_TIMEOUT)
        return self.output

    def kill(self) -> None:
        """``kill -9`` of the whole process group, and wait for it to be gone."""
        self.send(signal.SIGKILL)
        self.process.wait()
        assert wait_until(lambda: not group_members(self.pid), START_TIMEOUT)


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, read from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        yield int(entry.name), fields[0], int(fields[1]), int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    return [pid for pid, state, _, group in _processes() if group == pgid and state != "Z"]


def cluster_processes(scheduler: Scheduler) -> list[int]:
    """The django-q2 cluster's workers, pusher and monitor: the children of the sentinel,
    itself a child of ``run_scheduler``."""
    family = [(pid, parent) for pid, state, parent, _ in _processes() if state != "Z"]
    sentinels = {pid for pid, parent in family if parent == scheduler.pid}
    return [pid for pid, parent in family if parent in sentinels]


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False): the
    one wait of these tests, for a state another process reaches; ``every`` only paces the
    polling (nothing is assumed to have happened after it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
    return True


SETUP = """
import json, datetime
from django.db import transaction
from django.utils import timezone
from workflows.definitions import save_definition
from workflows.engine.compiler import compile_definition
from scheduler import services
d = {definition}
compile_definition(d)
wf, _ = save_definition(d)
now = timezone.now()
with transaction.atomic():  # the whole backlog at once
    ids = [str(services.schedule(wf, {{"tag": f"run-{{i}}"}},
                                 now + datetime.timedelta(seconds={delay} + (i % 2))).pk)
           for i in range({count})]
print(json.dumps(ids))
"""

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


def schedule(env: dict[str, str], count: int, delay: float, definition=RECORD) -> list[str]:
    code = SETUP.format(definition=repr(definition), delay=delay, count=count)
    return django(env, code)


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
        "done": sum(1 for status, *_ in rows if status == "succeeded"),
        "lateness": [(_moment(s) - _moment(d)).total_seconds() for _, _, d, s in rows if s],
        "attempts": sorted(attempts for _, attempts, _, _ in rows),
        "succeeded_runs": succeeded or 0,
        "lost_runs": lost or 0,
        "things": things,
        "distinct_things": distinct,
    }


HELD_BY = (
    "SELECT COUNT(*) FROM scheduler_scheduledrun WHERE status = 'queued' AND holder = "
    "(SELECT id FROM scheduler_schedulerprocess WHERE pid = {})"
)


def held_by(env: dict[str, str], pid: int) -> int:
    """How many queued runs the ``run_scheduler`` with PID ``pid`` holds."""
    with _connect(env) as conn:
        cursor = conn.cursor()
        cursor.execute(HELD_BY.format("%s" if env.get("DATABASE_URL") else "?"), (pid,))
        return cursor.fetchone()[0]


@contextlib.contextmanager
def _connect(env: dict[str, str]) -> Iterator[Any]:
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            yield conn
        return
    conn = sqlite3.connect(Path(env["BUBBLE_VAR_DIR"]) / "db.sqlite3", timeout=60)
    try:
        yield conn
    finally:
        conn.close()


def _moment(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def wait_until_done(
    env: dict[str, str], count: int, schedulers: list[Scheduler], timeout: float = DRAIN_TIMEOUT
) -> dict:
    """Until all ``count`` scheduled runs have succeeded; fails if a scheduler dies or the
    deadline passes."""
    seen: dict = {}

    def done() -> bool:
        seen.update(read_report(env))
        for scheduler in schedulers:
            assert scheduler.running(), scheduler.stop()
        return seen["statuses"] == ["succeeded"] and seen["done"] >= count

    assert wait_until(done, timeout), seen
    return seen
