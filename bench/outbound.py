"""A slow outbound call: how long trivial API calls take while another run waits on another
server (docs/actions.md#when-changes-are-saved).

A local server (in this process) answers ``http_request`` only after ``wait`` seconds. One
request starts a ``bench-slow-*`` run that calls it (bench/fixtures.yaml); once the slow
server has the call, trivial runs (``bench-create-customer``: create a thing and return
it) are sent from ``connections`` clients (the Python load generator, so each request's
latency is measured whatever wrk is doing) until shortly before the answer comes. The
slow run's shapes:

* ``after_write``: creates a thing, then calls (``commit: together``): the run's
  transaction is open while it waits — on SQLite, the whole database's write lock;
* ``first``: calls, then creates: nothing is open while it waits;
* ``each_step``: creates, then calls, with ``commit: each_step``: the create is saved
  before the call.

The baseline is the same trivial load with no slow run, measured in the same server just
before. gunicorn runs ``WORKERS`` sync workers, so the slow run holds one and the trivial
calls have the others.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .common import Env, check_alive, django, log
from .endpoint import BODY, OURS, SETUP, _free_port, server
from .loadgen import Load, run_load

WORKERS = 3
SHAPES = {
    "after_write": "/api/1.1/wf/bench-slow-after-write",
    "first": "/api/1.1/wf/bench-slow-first",
    "each_step": "/api/1.1/wf/bench-slow-each-step",
}


class _SlowServer:
    """Answers every request after ``wait`` seconds; ``called`` is set when one arrives."""

    def __init__(self, wait: float) -> None:
        self.called = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.called.set()
                time.sleep(wait)  # the point of this server: an API that takes its time
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slow"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _start_slow_run(port: int, path: str, key: str, url: str, wait: float) -> dict[str, Any]:
    """POST the slow workflow from a thread; the outcome lands in the returned dict."""
    outcome: dict[str, Any] = {}

    def call() -> None:
        request = urllib.request.Request(  # noqa: S310 - a loopback URL built here
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps({"url": url}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=wait + 120) as response:  # noqa: S310
                outcome["status"] = response.status
        except OSError as exc:
            outcome["status"] = getattr(exc, "code", None) or repr(exc)
        outcome["seconds"] = round(time.monotonic() - started, 2)

    thread = threading.Thread(target=call)
    thread.start()
    outcome["thread"] = thread
    return outcome


def bench_outbound(env: Env, *, wait: float = 10, connections: int = 2) -> dict[str, Any]:
    """p50/p99 of trivial calls alone, and while each shape of slow run waits."""
    key = django(env, SETUP)
    port = _free_port()
    slow = _SlowServer(wait)
    seconds = max(wait - 2, 1)
    results: dict[str, Any] = {"wait_s": wait, "connections": connections, "workers": WORKERS}
    server_env = {**env, "BUBBLE_HTTP_ALLOWED_NETWORKS": "127.0.0.1/32"}
    try:
        with server(server_env, port, workers=WORKERS) as proc:
            url = f"http://127.0.0.1:{port}{OURS}"
            run_load(url, BODY, key, connections=connections, seconds=1, python=True)  # warm
            baseline = run_load(
                url, BODY, key, connections=connections, seconds=seconds, python=True
            )
            results["baseline"] = baseline.as_dict()
            log(f"outbound baseline: p99 {baseline.p99_ms} ms")
            for shape, path in SHAPES.items():
                slow.called.clear()
                outcome = _start_slow_run(port, path, key, slow.url, wait)
                if not slow.called.wait(timeout=60):
                    raise RuntimeError(f"{shape}: the slow run never called out ({outcome})")
                load: Load = run_load(
                    url, BODY, key, connections=connections, seconds=seconds, python=True
                )
                outcome["thread"].join()
                check_alive(proc)
                outcome.pop("thread")
                results[shape] = {
                    **load.as_dict(),
                    "slow_run": outcome,
                    "p99_ratio": round(load.p99_ms / baseline.p99_ms, 1),
                }
                log(f"outbound {shape}: p99 {load.p99_ms} ms ({results[shape]['p99_ratio']}×)")
    finally:
        slow.close()
    return results
