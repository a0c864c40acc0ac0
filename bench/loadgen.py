"""Load generators for the endpoint benchmark: wrk, or a small Python one when wrk is missing.

Both send the same request (POST, JSON body, ``Authorization: Bearer`` unless the scenario
has no credentials, as n8n's webhook) from ``N``
keep-alive connections for a fixed time and answer the same figures: requests, requests/s,
p50 / p99 latency, non-2xx answers. wrk is preferred: written in C, it takes little of
the core it is pinned to. The Python fallback (one thread per connection, ``http.client``)
is slower and says so in the results, but it drives both sides of a comparison
identically, so their ratio stays meaningful. ``BENCH_LOADGEN=python`` forces it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .common import percentile

LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""
LUA_AUTH = """wrk.headers["Authorization"] = {auth}
"""


@dataclass
class Load:
    """One timed burst of requests at one URL."""

    url: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    tool: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    url: str,
    body: dict[str, Any],
    key: str | None,
    *,
    connections: int,
    seconds: float,
    cpu: int | None = None,
    python: bool = False,
) -> Load:
    """``connections`` clients POSTing ``body`` to ``url`` for ``seconds``, with API key
    ``key`` (None: no credentials); wrk when it is installed (pinned to core ``cpu``), else
    (or with ``python``) the Python generator."""
    if not python and wrk_available() and os.environ.get("BENCH_LOADGEN") != "python":
        return _wrk(url, body, key, connections, seconds, cpu)
    return _python(url, body, key, connections, seconds, cpu)


# --- wrk ------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def _wrk(
    url: str,
    body: dict[str, Any],
    key: str | None,
    connections: int,
    seconds: float,
    cpu: int | None,
) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA.format(body=_lua(json.dumps(body))))
        if key is not None:
            lua.write(LUA_AUTH.format(auth=_lua(f"Bearer {key}")))
    try:
        prefix = ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []
        argv = [
            *prefix,
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            lua.name,
            url,
        ]
        out = subprocess.run(  # noqa: S603 - fixed argv
            argv, capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
    finally:
        Path(lua.name).unlink(missing_ok=True)
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", out).group(1))
    duration = _ms(re.search(r"requests in ([\d.]+\w+)", out).group(1)) / 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return Load(
        url=url,
        connections=connections,
        seconds=round(duration, 2),
        requests=requests,
        errors=failed,
        rps=round(requests / duration, 1),
        p50_ms=round(_percentile_ms(out, 50), 2),
        p99_ms=round(_percentile_ms(out, 99), 2),
        tool="wrk",
    )


def _percentile_ms(out: str, p: int) -> float:
    """A line of wrk's latency distribution (``     50%    1.23ms``). Anchored at the start
    of the line: the thread stats above end in percentages such as ``62.50%``."""
    return _ms(re.search(rf"^\s*{p}%\s+(\S+)", out, re.MULTILINE).group(1))


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the Python fallback --------------------------------------------------------------


def _python(
    url: str,
    body: dict[str, Any],
    key: str | None,
    connections: int,
    seconds: float,
    cpu: int | None,
) -> Load:
    match = re.fullmatch(r"http://([^/:]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    payload = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                conn.request("POST", path, payload, headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pinned = cpu is not None and hasattr(os, "sched_setaffinity")
    if pinned:  # this process generates the load meanwhile: on the client's core
        affinity = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
    try:
        threads = [threading.Thread(target=client) for _ in range(connections)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if pinned:
            os.sched_setaffinity(0, affinity)
    duration = time.monotonic() - started
    return Load(
        url=url,
        connections=connections,
        seconds=round(duration, 2),
        requests=len(latencies),
        errors=errors[0],
        rps=round(len(latencies) / duration, 1),
        p50_ms=round(percentile(latencies, 50), 2),
        p99_ms=round(percentile(latencies, 99), 2),
        tool="python load generator (bench/loadgen.py)",
    )
