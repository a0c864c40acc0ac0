"""``python -m bench [--quick|--full]``: run every benchmark, write docs/performance.md.

    .venv/bin/python -m bench                      # quick profile (make bench)
    .venv/bin/python -m bench --full               # the long one (make bench BENCH=full)
    .venv/bin/python -m bench --only endpoint,admin --backend sqlite --out /tmp/perf.md
    .venv/bin/python -m bench --only editor --out /tmp/perf.md   # one benchmark alone
    .venv/bin/python -m bench --only csv --out /tmp/perf.md      # the CSV import, both backends
    .venv/bin/python -m bench --only dashboard --full --out /tmp/perf.md  # the runs dashboard
    .venv/bin/python -m bench --only runs --full --out /tmp/perf.md  # the Runs list, 1,000,000 runs
    .venv/bin/python -m bench --only pruning --out /tmp/perf.md  # pruning run history
    .venv/bin/python -m bench --only deploys --out /tmp/perf.md  # deploys, versions kept

Each benchmark runs on a fresh database of its backend (bench/common.py): SQLite with
django-q2's ORM broker always, PostgreSQL with Redis when both answer (``BENCH_PG_URL``,
``BENCH_REDIS_URL``). A benchmark that fails is reported as such in the document (and the
exit status is 1); the others still run. The raw results are printed as JSON on stdout.
The editor benchmark (bench/editor.py) drives Chromium at /usr/bin/chromium (``CHROMIUM``
elsewhere) and is reported as skipped without it. ``--out`` writes the whole document: a
subset goes to another file, from which its section can be copied into
docs/performance.md (it then says it was measured on its own).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import (
    admin_pages,
    app_import,
    dashboard,
    deploys,
    pruning,
    report,
    runs_admin,
    schema_changes,
    statements,
)
from .common import ROOT, fresh_backend, log, machine, pg_reachable, script
from .editor import bench_editor
from .endpoint import bench_endpoint, bench_engine
from .loadgen import wrk_available
from .outbound import bench_outbound
from .scheduler import bench_bulk, bench_lateness, bench_throughput
from .steadiness import bench_steadiness

PROFILES: dict[str, dict[str, Any]] = {
    # every benchmark once at the smallest size: checks the suite works, figures meaningless
    "tiny": {
        "endpoint": {"connections": 2, "seconds": 1, "rounds": 1, "warmup": 1},
        "engine": {"runs": 20, "warmup": 5},
        "lateness": 5,
        "throughput": {"count": 5, "rounds": 1},
        "bulk": 50,
        "admin_rows": 200,
        "steadiness": 30,
        "outbound": {"wait": 2},
        "editor": {"loads": 1, "warmup": 0},
        "schema": 1_000,
        "csv": {"rows": 500, "rounds": 1},
        "dashboard": {"runs": 2_000, "writes": 200},
        "runs": {"rows": 500, "writes": 50, "rounds": 1},
        "pruning": 2_000,
        "app_import": 2_000,
        "deploys": {"workflows": 20, "versions": 5},
        "statements": 50,
    },
    "quick": {
        "endpoint": {"connections": 8, "seconds": 5, "rounds": 3, "warmup": 2},
        "engine": {"runs": 1000, "warmup": 100},
        "lateness": 200,
        "throughput": {"count": 300, "rounds": 3},
        "bulk": 20_000,
        "admin_rows": 100_000,
        "steadiness": 3_000,
        "outbound": {"wait": 10},
        "editor": {"loads": 5, "warmup": 2},
        "schema": 1_000_000,
        "csv": {"rows": 100_000, "rounds": 3},
        "dashboard": {"runs": 100_000, "writes": 2_000},
        "runs": {"rows": 100_000, "writes": 500, "rounds": 3},
        "pruning": 100_000,
        "app_import": 100_000,
        "deploys": {"workflows": 200, "versions": 50},
        "statements": 1000,
    },
    "full": {
        "endpoint": {"connections": 8, "seconds": 15, "rounds": 5, "warmup": 5},
        "engine": {"runs": 5000, "warmup": 500},
        "lateness": 500,
        "throughput": {"count": 1000, "rounds": 3},
        "bulk": 100_000,
        "admin_rows": 1_000_000,
        "steadiness": 100_000,
        "outbound": {"wait": 10},
        "editor": {"loads": 15, "warmup": 3},
        "schema": 1_000_000,
        "csv": {"rows": 100_000, "rounds": 5},
        "dashboard": {"runs": 1_000_000, "writes": 3_000},
        "runs": {"rows": 1_000_000, "writes": 2_000, "rounds": 5},
        "pruning": 1_000_000,
        "app_import": 100_000,
        "deploys": {"workflows": 200, "versions": 200},
        "statements": 3000,
    },
}
BENCHMARKS = (
    "endpoint",
    "engine",
    "lateness",
    "throughput",
    "bulk",
    "admin",
    "steadiness",
    "outbound",
    "editor",
    "schema",
    "csv",
    "dashboard",
    "runs",
    "pruning",
    "app_import",
    "deploys",
    "statements",
)


def _guarded(name: str, run: Callable[[], Any]) -> Any:
    """``run()``, or ``{"error": ...}`` if it fails: one broken benchmark must not hide the
    figures of the others."""
    log(f"{name}...")
    started = time.monotonic()
    try:
        result = run()
    except Exception as exc:  # noqa: BLE001 - reported in the document
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
    log(f"{name}: done in {time.monotonic() - started:.0f} s")
    if isinstance(result, dict):
        result["elapsed_s"] = round(time.monotonic() - started, 1)
    return result


def run_all(profile: str, only: set[str], backends: list[str]) -> dict[str, Any]:
    sizes = PROFILES[profile]
    results: dict[str, Any] = {"profile": profile, "machine": machine(), "backends": {}}
    results["load_before"] = list(os.getloadavg())
    if only != set(BENCHMARKS):
        results["only"] = sorted(only)
    if {"endpoint", "engine"} & only:
        with fresh_backend("sqlite") as env:
            if "endpoint" in only:
                endpoint_env = {**env, "BENCH_CONN_MAX_AGE": "600"}
                results["endpoint"] = _guarded(
                    "endpoint (sqlite)", lambda: bench_endpoint(endpoint_env, **sizes["endpoint"])
                )
            if "engine" in only:
                results["engine"] = _guarded(
                    "engine alone (sqlite)", lambda: bench_engine(env, **sizes["engine"])
                )
    for backend in backends:
        out: dict[str, Any] = {}
        results["backends"][backend] = out
        jobs: dict[str, Callable[[dict[str, str]], Any]] = {
            "lateness": lambda env: bench_lateness(env, sizes["lateness"]),
            "throughput": lambda env: bench_throughput(env, **sizes["throughput"]),
            "bulk": lambda env: bench_bulk(env, sizes["bulk"]),
            "admin": lambda env: script(
                env, admin_pages.__name__, f"--rows={sizes['admin_rows']}", timeout=3600
            ),
            "outbound": lambda env: bench_outbound(env, **sizes["outbound"]),
            "schema": lambda env: script(
                env, schema_changes.__name__, f"--rows={sizes['schema']}", timeout=3600
            ),
            "csv": lambda env: script(
                env,
                "bench.csv_import",
                f"--rows={sizes['csv']['rows']}",
                f"--rounds={sizes['csv']['rounds']}",
                timeout=3600,
            ),
            "dashboard": lambda env: script(
                env,
                dashboard.__name__,
                f"--runs={sizes['dashboard']['runs']}",
                f"--writes={sizes['dashboard']['writes']}",
                timeout=7200,
            ),
            # the Runs list, its search and the text index's write cost (bench/runs_admin.py)
            "runs": lambda env: script(
                env,
                runs_admin.__name__,
                f"--rows={sizes['runs']['rows']}",
                f"--writes={sizes['runs']['writes']}",
                f"--rounds={sizes['runs']['rounds']}",
                timeout=7200,
            ),
            "pruning": lambda env: script(
                env, pruning.__name__, f"--rows={sizes['pruning']}", timeout=3600
            ),
            # a Bubble app brought over from a local stand-in (bench/app_import.py)
            "app_import": lambda env: script(
                env, app_import.__name__, f"--rows={sizes['app_import']}", timeout=3600
            ),
            # hand-written SQL against the ORM, use by use (bench/statements.py)
            "statements": lambda env: script(
                env, statements.__name__, f"--calls={sizes['statements']}", timeout=3600
            ),
            # a deploy of a large backend; a call's cost with many versions kept
            "deploys": lambda env: script(
                env,
                deploys.__name__,
                f"--workflows={sizes['deploys']['workflows']}",
                f"--versions={sizes['deploys']['versions']}",
                timeout=3600,
            ),
        }
        for name, job in jobs.items():
            if name in only:
                with fresh_backend(backend) as env:
                    out[name] = _guarded(f"{name} ({backend})", lambda job=job, env=env: job(env))
    if "steadiness" in only:
        with fresh_backend("sqlite") as env:
            results["steadiness"] = _guarded(
                "steadiness (sqlite)", lambda: bench_steadiness(env, sizes["steadiness"])
            )
    if "editor" in only:
        with fresh_backend("sqlite") as env:
            results["editor"] = _guarded(
                "editor (sqlite, Chromium)", lambda: bench_editor(env, **sizes["editor"])
            )
    results["load_after"] = list(os.getloadavg())
    results["wrk"] = wrk_available()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", dest="profile", const="quick")
    size.add_argument("--full", action="store_const", dest="profile", const="full")
    size.add_argument(
        "--tiny", action="store_const", dest="profile", const="tiny", help="check the suite runs"
    )
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "pg"),
        action="append",
        help="repeatable; default: sqlite, and pg when PostgreSQL and Redis are reachable",
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args(argv)
    profile = args.profile or "quick"
    only = set(args.only.split(",")) if args.only else set(BENCHMARKS)
    unknown = only - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    backends = args.backend or ["sqlite"]
    if not args.backend:
        if pg_reachable():
            backends.append("pg")
        else:
            log("PostgreSQL or Redis not reachable: SQLite only")
    started = time.monotonic()
    results = run_all(profile, only, backends)
    results["total_s"] = round(time.monotonic() - started, 1)
    if not args.backend and "pg" not in backends:
        results["pg_skipped"] = "PostgreSQL or Redis was not reachable"
    print(json.dumps(results, indent=2))
    Path(args.out).write_text(report.markdown(results))
    log(f"{profile} profile done in {results['total_s'] / 60:.1f} min; wrote {args.out}")
    return 1 if report.errors(results) else 0


if __name__ == "__main__":
    sys.exit(main())
