"""Steadiness: worker memory and per-run time over many scheduled runs, flat not growing.

N trivial runs (``bench-tick``) due now are drained by one ``run_scheduler``; its process
tree's resident memory is sampled every ``every`` seconds meanwhile. django-q2 replaces a
worker after ``recycle`` tasks (500 by default), which would hide a slow leak: here
recycling is pushed past N (``BENCH_Q_RECYCLE``, bench/settings.py), so every worker lives
through the whole drain and a leak shows.

Reported, by tenth of the runs in the order they finished: time per run (wall time of
the tenth divided by its runs: the throughput seen from outside) and the time inside the
run's transaction (``Run.duration_ms``); RSS of the largest process and of the whole tree
after the first tenth, at the middle and at the end. The figures: the last three tenths
against the first three (medians), and memory at the end against the start.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from .common import (
    Env,
    check_alive,
    descendants,
    django,
    epoch,
    process,
    rss_mib,
    sql_rows,
    sql_value,
)
from .scheduler import COUNT_OPEN, SCHEDULE_NOW

FINISHED = (
    "SELECT finished_at, duration_ms FROM workflows_run "
    "WHERE workflow_name = 'bench-tick' AND finished_at IS NOT NULL ORDER BY finished_at"
)

GOAL_GROWTH = 1.2  # "flat": the last tenth within 20% of the first (time and memory)


def bench_steadiness(env: Env, runs: int, every: float = 1.0) -> dict[str, Any]:
    """Drain ``runs`` scheduled runs once, sampling memory; per-tenth figures."""
    django(env, SCHEDULE_NOW.format(count=runs))
    samples: list[tuple[float, float, float]] = []  # (time, largest MiB, tree MiB)
    timeout = 300 + runs / 5
    with process({**env, "BENCH_Q_RECYCLE": str(runs * 2)}, "run_scheduler") as proc:
        deadline = time.monotonic() + timeout
        while True:
            sizes = [rss_mib(pid) for pid in [proc.pid, *descendants(proc.pid)]]
            samples.append((time.time(), max(sizes), sum(sizes)))
            if sql_value(env, COUNT_OPEN) == 0:
                break
            check_alive(proc)
            if time.monotonic() > deadline:
                raise TimeoutError(f"steadiness: not drained after {timeout} s")
            time.sleep(every)
    finished = [(epoch(at), ms) for at, ms in sql_rows(env, FINISHED)]
    return {"runs": runs, **_tenths(finished, samples)}


def _tenths(finished: list[tuple[float, float]], samples: list[tuple[float, float, float]]):
    """Per-run time and memory by tenth of the runs, in the order they finished."""
    count = len(finished)
    bounds = [round(count * k / 10) for k in range(11)]
    tenths = []
    for k in range(10):
        part = finished[bounds[k] : bounds[k + 1]]
        start = finished[bounds[k] - 1][0] if k else part[0][0]
        wall = part[-1][0] - start
        tenths.append(
            {
                "wall_ms_per_run": round(wall / max(len(part) - (0 if k else 1), 1) * 1000, 2),
                "engine_ms_per_run": round(statistics.mean(d for _, d in part), 2),
            }
        )

    def memory_at(moment: float) -> dict[str, float]:
        _, largest, tree = min(samples, key=lambda s: abs(s[0] - moment))
        return {"largest_mib": round(largest, 1), "tree_mib": round(tree, 1)}

    def typical(part: list[dict[str, float]], key: str) -> float:
        return statistics.median(tenth[key] for tenth in part)

    memory = {
        "start": memory_at(finished[bounds[1] - 1][0]),
        "middle": memory_at(finished[bounds[5] - 1][0]),
        "end": memory_at(finished[-1][0]),
    }
    return {
        "tenths": tenths,
        "memory": memory,
        # the last three tenths against the first three (medians): a trend, not one
        # tenth that another process on the machine happened to slow down
        "time_growth": round(
            typical(tenths[-3:], "wall_ms_per_run") / typical(tenths[:3], "wall_ms_per_run"), 3
        ),
        "engine_growth": round(
            typical(tenths[-3:], "engine_ms_per_run") / typical(tenths[:3], "engine_ms_per_run"),
            3,
        ),
        "memory_growth": round(memory["end"]["largest_mib"] / memory["start"]["largest_mib"], 3),
        "samples": len(samples),
    }
