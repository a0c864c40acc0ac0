"""What every benchmark shares: fresh backends, ``manage.py`` subprocesses, percentiles,
process memory and the machine's description.

Benchmarks run the project the way production does, in separate processes on a fresh
database, so that one benchmark's caches, connections or rows never flatter the next:
SQLite (a temporary ``BUBBLE_VAR_DIR``, django-q2's ORM broker) or PostgreSQL (a new
database on ``BENCH_PG_URL``) with Redis (``BENCH_REDIS_URL``, flushed) as the broker.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WORKERS = os.environ.get("BENCH_Q_WORKERS", "2")
FIXTURES = ROOT / "bench" / "fixtures.yaml"

Env = dict[str, str]


# --- environments and backends --------------------------------------------------------


def base_env(var_dir: str) -> Env:
    """The environment of every benchmark subprocess: bench settings, no throttling, the
    scheduler on its defaults, quiet logs."""
    drop = ("DATABASE_URL", "REDIS_URL", "Q_SYNC", "BUBBLE_SCHEDULER")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        BUBBLE_VAR_DIR=var_dir,
        DJANGO_SETTINGS_MODULE="bench.settings",
        Q_WORKERS=WORKERS,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # a benchmark is a flood of requests by design: throttling would measure the limit
        BUBBLE_THROTTLE_KEY="0",
        BUBBLE_THROTTLE_ADDRESS="0",
    )
    return env


def pg_reachable() -> bool:
    """Whether PostgreSQL and Redis both answer on their bench URLs."""
    try:
        import psycopg
        import redis

        with psycopg.connect(f"{PG_URL}/postgres", connect_timeout=3):
            pass
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception:  # noqa: BLE001 - anything means "not available"
        return False
    return True


#: per backend, a migrated database with the fixtures, copied for each fresh one (a
#: migration run costs several seconds; a copy, a fraction of one)
_templates: dict[str, str] = {}


def _template(backend: str) -> str:
    """The template of ``backend``: a var dir (SQLite) or a database name (PostgreSQL),
    made on first use and removed when this process exits."""
    if backend in _templates:
        return _templates[backend]
    var_dir = tempfile.mkdtemp(prefix="bench-template-")
    atexit.register(shutil.rmtree, var_dir, True)
    env = base_env(var_dir)
    if backend == "pg":
        name = f"bubble_bench_tpl_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        atexit.register(_pg_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        env.update(DATABASE_URL=f"{PG_URL}/{name}", REDIS_URL=REDIS_URL)
    manage(env, "migrate", "--noinput")
    manage(env, "import_workflows", str(FIXTURES))
    _templates[backend] = name if backend == "pg" else var_dir
    return _templates[backend]


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(statement)


@contextlib.contextmanager
def fresh_backend(backend: str) -> Iterator[Env]:
    """Environment for subprocesses on a fresh, migrated database of ``backend`` (``sqlite``
    or ``pg``) holding bench/fixtures.yaml, dropped afterwards."""
    template = _template(backend)
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = base_env(var_dir)
        name = None
        if backend == "sqlite":
            for path in Path(template).iterdir():
                if path.is_file():  # db.sqlite3 (and its WAL, if any), secret_key
                    shutil.copy2(path, Path(var_dir) / path.name)
        else:
            import redis

            name = f"bubble_bench_{uuid.uuid4().hex[:8]}"
            _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            redis.Redis.from_url(REDIS_URL).flushdb()
            env.update(DATABASE_URL=f"{PG_URL}/{name}", REDIS_URL=REDIS_URL)
        try:
            yield env
        finally:
            if name is not None:
                _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- subprocesses ---------------------------------------------------------------------


def manage(env: Env, *args: str, timeout: float = 900) -> str:
    """``manage.py args`` to completion; its stdout (stderr in the error if it fails)."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def django(env: Env, code: str, timeout: float = 900) -> Any:
    """Run ``code`` in a Django shell of that backend; the JSON it prints last is returned."""
    out = manage(env, "shell", "--no-imports", "-c", code, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def script(env: Env, module: str, *args: str, timeout: float = 900) -> Any:
    """``python -m module args`` with Django set up by the module; its last JSON line."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [PYTHON, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def process(
    env: Env, *args: str, prefix: Sequence[str] = (), argv: Sequence[str] | None = None
) -> Iterator[subprocess.Popen]:
    """A ``manage.py`` command (or ``argv``) in its own process group, stopped on exit.

    ``prefix`` goes before the command (``taskset -c 0``). Output goes to a temporary
    file, shown in the error when the process ends too early (see ``check_alive``).
    """
    command = list(argv) if argv is not None else [PYTHON, "manage.py", *args]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(  # noqa: S603
            [*prefix, *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log  # type: ignore[attr-defined]
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 1) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace`` seconds (qcluster can take
    30 s to stop after work; a benchmark, whose database is thrown away, need not wait)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def check_alive(*procs: subprocess.Popen) -> None:
    """Raise with the process's last output if it has exited."""
    for proc in procs:
        if proc.poll() is not None:
            log = getattr(proc, "log", None)
            output = b""
            if log is not None:
                log.seek(0)
                output = log.read()[-3000:]
            raise RuntimeError(
                f"{proc.args} exited with {proc.returncode}:\n{output.decode(errors='replace')}"
            )


def sql_rows(env: Env, query: str) -> list[tuple[Any, ...]]:
    """The rows of a read-only ``query`` on that backend's database, without starting
    Django: progress polls and result reads must not steal the CPU they time (a
    ``manage.py shell`` costs about a second of it)."""
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(query).fetchall()
    import sqlite3

    path = f"file:{env['BUBBLE_VAR_DIR']}/db.sqlite3?mode=ro"
    with contextlib.closing(sqlite3.connect(path, uri=True, timeout=20)) as conn:
        return conn.execute(query).fetchall()


def sql_value(env: Env, query: str) -> Any:
    """The first column of the first row of ``query`` (see ``sql_rows``)."""
    return sql_rows(env, query)[0][0]


def epoch(value: Any) -> float:
    """A timestamp column as seconds since the epoch: PostgreSQL gives aware datetimes,
    SQLite Django's UTC text (``2026-01-02 03:04:05.678901``)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def wait_sql(
    env: Env,
    query: str,
    done: Callable[[Any], bool],
    procs: Sequence[subprocess.Popen],
    timeout: float,
    every: float = 0.25,
) -> Any:
    """Poll ``query`` (``sql_value``) until ``done`` says so."""
    deadline = time.monotonic() + timeout
    while True:
        value = sql_value(env, query)
        if done(value):
            return value
        check_alive(*procs)
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout} s: {value}")
        time.sleep(every)


# --- figures --------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile ``p`` (0-100) of ``values``; NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren...), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                todo += children
    return found


def machine() -> dict[str, Any]:
    """Cores, memory, Python, OS and the date: what a reader needs to weigh the figures."""
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def log(message: str) -> None:
    """Progress on stderr (stdout carries the JSON results)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
