"""Endpoint overhead: a workflow that creates one thing and returns it, over HTTP, against a
hand-written DRF view doing the same ORM work, in the same server.

One gunicorn worker (``WORKER_CLASS``) serves both URLs, pinned to core 0 with taskset; the
load generator (wrk, see bench/loadgen.py) runs on core 1 with ``connections``
concurrent clients (the sync worker closes each connection after its answer, on both sides
alike). The sides take turns, ``rounds`` times each after a warm-up, so drift in the
machine (or in the database's size) touches both alike; each side's figure is its median
round. Both requests carry the same JSON body and API key; throttling is off.

* ours: ``POST /api/1.1/wf/bench-create-customer`` (bench/fixtures.yaml: ``create_thing``
  of an ``examples.Customer`` then ``return_data`` of it, privacy rule applied, run log
  written);
* baseline: ``POST /bench/customer`` (bench/baseline.py, mounted by bench/urls.py);
* echo: ``POST /api/1.1/wf/bench-echo``, n8n's own benchmark scenario (a webhook receives a
  JSON body, fields are computed and answered, the execution logged): unauthenticated, as
  n8n's webhook is, run log written; against ``N8N_RPS`` and against ``/bench/echo``, a DRF
  view computing the same answer without a log;
* floor: ``POST /bench/floor``, the baseline plus the statements a logged run of
  ``bench-create-customer`` must make, written by hand: the most a workflow with a run log
  can reach against the baseline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from . import engine as engine_bench
from .common import PYTHON, Env, check_alive, django, log, process, script, sql_value
from .loadgen import Load, run_load

#: gunicorn's worker: ``sync`` (its default), one request at a time, which is all one core
#: does anyway; threads (``gthread``) only add SQLite write-lock waits and GIL switches
#: between requests of the same process (tried: same requests/s, a worse p99).
#: ``BENCH_WORKER_CLASS`` / ``BENCH_THREADS`` override it for experiments.
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SERVER_CPU, CLIENT_CPU = 0, 1
BODY = {"name": "Ada Lovelace", "email": "ada@example.com"}
OURS = "/api/1.1/wf/bench-create-customer"
BASELINE = "/bench/customer"
#: n8n's scenario (bench/fixtures.yaml: bench-echo) and its DRF view
ECHO = "/api/1.1/wf/bench-echo"
ECHO_BASELINE = "/bench/echo"
#: the DRF view plus the run log's statements by hand (bench/baseline.py: RunLogFloorView)
FLOOR = "/bench/floor"
GOAL_COST = 1.3  # docs/performance.md: at most 1.3x the baseline's cost per request
GOAL_RPS = 700  # docs/performance.md: workflow runs/s on one core, run log included
#: n8n 1.123.81 on its own scenario, requests/s: measured side by side with this project
#: on the benchmark machine on 2026-12-07 (each server in turn on core 0, wrk on core 1,
#: three alternating 15 s rounds per side, medians: 46.8 against 459.0 here), with
#: ``N8N_EXPRESSION_ENGINE=legacy``: that release's default engine (``vm``, a V8 isolate per
#: execution) gave 7.2. ``make bench`` does not install n8n (docs/performance.md says how
#: it was run); the goal's multiple follows
N8N_RPS = 47
GOAL_N8N = 8

SETUP = """
import json
from django.contrib.auth import get_user_model
from workflows.services import api_key_create
user, _ = get_user_model().objects.get_or_create(username="bench")
_, key = api_key_create(user=user, name="bench")
print(json.dumps(key))
"""

COUNT_RUNS = (
    "SELECT count(*) FROM workflows_run "
    "WHERE workflow_name = 'bench-create-customer' AND status = 'succeeded' AND source = 'api'"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pinning(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []


@contextlib.contextmanager
def server(env: Env, port: int, *, workers: int = 1) -> Iterator[Any]:
    """gunicorn serving the project (bench settings) on ``port``, pinned to one core."""
    argv = [
        PYTHON,
        "-m",
        "gunicorn",
        "bubble_backend.wsgi",
        f"--workers={workers}",
        f"--worker-class={WORKER_CLASS}",
        f"--threads={THREADS}",
        f"--bind=127.0.0.1:{port}",
        "--backlog=2048",
        "--keep-alive=30",
    ]
    with process(env, argv=argv, prefix=_pinning(SERVER_CPU)) as proc:
        deadline = time.monotonic() + 30
        while True:
            check_alive(proc)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/1.1/ping", timeout=2)  # noqa: S310
            except urllib.error.HTTPError:
                break  # the API's JSON 404: the server answers
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield proc


#: the sides measured, each against its baseline: (path, API key sent?)
SIDES = {
    "ours": (OURS, True),
    "baseline": (BASELINE, True),
    "echo": (ECHO, False),
    "echo_baseline": (ECHO_BASELINE, False),
    "floor": (FLOOR, True),
}


def bench_endpoint(
    env: Env, *, connections: int = 8, seconds: float = 5, rounds: int = 3, warmup: float = 2
) -> dict[str, Any]:
    """Requests/s and latency of each workflow and of its DRF view, side by side."""
    key = django(env, SETUP)
    port = _free_port()
    rounds_of: dict[str, list[Load]] = {side: [] for side in SIDES}

    def load(side: str, duration: float) -> Load:
        path, with_key = SIDES[side]
        return run_load(
            f"http://127.0.0.1:{port}{path}", BODY, key if with_key else None,
            connections=connections, seconds=duration, cpu=CLIENT_CPU,
        )  # fmt: skip

    with server(env, port) as proc:
        for side in SIDES if warmup else ():  # imports, caches, SQLite pages
            load(side, warmup)
        runs_before = sql_value(env, COUNT_RUNS)
        for index in range(rounds):
            # each side after each other once per round, in turn, so drift touches all alike
            order = list(SIDES)[index % len(SIDES) :] + list(SIDES)[: index % len(SIDES)]
            for side in order:
                measured = load(side, seconds)
                check_alive(proc)
                if measured.errors:
                    raise RuntimeError(
                        f"{side}: {measured.errors} failed requests at {measured.url}"
                    )
                rounds_of[side].append(measured)
                log(f"endpoint {side}: {measured.rps} req/s, p50 {measured.p50_ms} ms")
    logged = sql_value(env, COUNT_RUNS) - runs_before
    ours, base, echo, echo_base, floor = (_median(rounds_of[s]) for s in SIDES)
    served = sum(measured.requests for measured in rounds_of["ours"])
    return {
        "server": f"gunicorn, 1 worker, {WORKER_CLASS}"
        + (f" ({THREADS} threads)" if WORKER_CLASS == "gthread" else "")
        + f", pinned to core {SERVER_CPU}",
        "client": f"{ours.tool}, {connections} connections, pinned to core {CLIENT_CPU}",
        "rounds": rounds,
        "seconds": seconds,
        "ours": ours.as_dict(),
        "baseline": base.as_dict(),
        "rps_ratio": round(ours.rps / base.rps, 3),
        "cost_ratio": round(base.rps / ours.rps, 3),
        "echo": echo.as_dict(),
        "echo_baseline": echo_base.as_dict(),
        "echo_ratio": round(echo.rps / echo_base.rps, 3),
        "n8n_ratio": round(echo.rps / N8N_RPS, 2),
        "floor": floor.as_dict(),
        "floor_ratio": round(floor.rps / base.rps, 3),
        "runs_logged": logged,
        "requests_served": served,
    }


def _median(loads: list[Load]) -> Load:
    """The round with the median requests/s (its latencies go with it)."""
    ordered = sorted(loads, key=lambda load: load.rps)
    return ordered[(len(ordered) - 1) // 2]


def bench_engine(env: Env, runs: int, warmup: int) -> dict[str, Any]:
    """The engine alone, in a process of its own (see bench/engine.py)."""
    return script(env, engine_bench.__name__, f"--runs={runs}", f"--warmup={warmup}")
