"""Scheduler benchmarks: lateness, throughput against raw django-q2, bulk scheduling.

Each function takes the environment of a fresh backend (bench/common.py) and runs the
project in ``manage.py`` subprocesses, as in production: ``run_scheduler`` for our path,
``qcluster`` for raw django-q2, ``shell -c`` to set up and read results. The scheduler
runs on its default settings; ``Q_WORKERS`` is the same for both sides.

1. lateness: N runs due 2-10 s ahead, scheduled while ``run_scheduler`` runs;
   ``started_at - due_at`` p50 / p99 / max (goal p99 <= 1 s).
2. throughput: N runs of ``bench-tick`` due now through ``run_scheduler`` against N
   ``async_task("bench.tasks.run_workflow", "bench-tick")`` through ``qcluster``: the
   same workflow run by the engine with its run log, minus the scheduler. Each side is a
   backlog drained by a cluster just started, timed from the first run's start to the last
   one's end as the ``Run`` rows record them. Raw tasks are queued before their cluster
   starts; ours are moved to the queue by the dispatcher while the cluster runs, so our
   side also pays for queueing. Goal: ours >= 80% of raw. A no-op task is measured too,
   as an extra (the cost of django-q2 itself).
3. bulk: ``schedule_workflow_on_list`` of N items in one workflow run (goal < 10 s for
   100,000), then ``scheduler.services.cancel`` of all of them (goal < 5 s).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from .common import Env, check_alive, django, epoch, percentile, process, sql_rows, wait_sql

SCHEDULE_SPREAD = """
import datetime, json
from django.utils import timezone
from scheduler import services
from workflows.models import Workflow
wf = Workflow.objects.get(name="bench-tick")
n = {count}
start = timezone.now() + datetime.timedelta(seconds={first})
ids = services.schedule_on_list(wf, list(range(n)), lambda item, i: {{}}, at=start,
                                interval={span} / max(n - 1, 1), depth=0)
print(json.dumps(len(ids)))
"""

#: scheduled runs not finished yet (polled with plain SQL, see common.sql_value)
COUNT_OPEN = (
    "SELECT count(*) FROM scheduler_scheduledrun "
    "WHERE status NOT IN ('succeeded', 'failed', 'cancelled', 'missed')"
)
#: runs of bench-tick finished
COUNT_RUNS_DONE = (
    "SELECT count(*) FROM workflows_run "
    "WHERE workflow_name = 'bench-tick' AND finished_at IS NOT NULL"
)

STATUSES = "SELECT status, count(*) FROM scheduler_scheduledrun GROUP BY status"
DUE_STARTED = "SELECT due_at, started_at FROM scheduler_scheduledrun WHERE started_at IS NOT NULL"


def bench_lateness(env: Env, count: int, first: float = 2, span: float = 8, warmup: float = 2):
    """N runs due ``first`` to ``first + span`` s ahead, scheduled while ``run_scheduler`` runs."""
    with process(env, "run_scheduler") as scheduler:
        time.sleep(warmup)  # the cluster and the dispatcher are up
        django(env, SCHEDULE_SPREAD.format(count=count, first=first, span=span))
        wait_sql(env, COUNT_OPEN, lambda n: n == 0, [scheduler], timeout=60 + count / 10)
    late = [epoch(started) - epoch(due) for due, started in sql_rows(env, DUE_STARTED)]
    return {
        "runs": count,
        "statuses": dict(sql_rows(env, STATUSES)),
        "p50_s": round(statistics.median(late), 4),
        "p99_s": round(percentile(late, 99), 4),
        "max_s": round(max(late), 4),
        "min_s": round(min(late), 4),
    }


# --- throughput -----------------------------------------------------------------------

SCHEDULE_NOW = """
import json
from scheduler import services
from scheduler.models import ScheduledRun
from workflows.models import Run, Workflow
ScheduledRun.objects.all().delete()
Run.objects.all().delete()
wf = Workflow.objects.get(name="bench-tick")
ids = services.schedule_on_list(wf, list(range({count})), lambda item, i: {{}}, depth=0)
print(json.dumps(len(ids)))
"""

ENQUEUE_RAW = """
import json
from django_q.tasks import async_task
from workflows.models import Run
Run.objects.all().delete()
for i in range({count}):
    async_task({task!r}, *{args!r}, save=False)
print(json.dumps({count}))
"""

_TICKS = "FROM workflows_run WHERE workflow_name = 'bench-tick'"
#: the span of the finished bench-tick runs: first start, last end
RUNS_SPAN = f"SELECT min(started_at), max(finished_at) {_TICKS} AND finished_at IS NOT NULL"
RUNS_STATUSES = f"SELECT status, count(*) {_TICKS} GROUP BY status"


def _runs_done(env: Env) -> dict[str, Any]:
    """How the bench-tick runs ended, and the span from the first start to the last end."""
    ((first, last),) = sql_rows(env, RUNS_SPAN)
    return {"statuses": dict(sql_rows(env, RUNS_STATUSES)), "span": [epoch(first), epoch(last)]}


RUN_WORKFLOW = "bench.tasks.run_workflow"


def _stamps(path: Path) -> list[float]:
    try:
        return [float(line) for line in path.read_text().split()]
    except FileNotFoundError:
        return []


def _drain_ours(env: Env, count: int, timeout: float) -> dict[str, Any]:
    """N runs due now, drained by ``run_scheduler`` (dispatcher + cluster)."""
    django(env, SCHEDULE_NOW.format(count=count))
    with process(env, "run_scheduler") as proc:
        wait_sql(env, COUNT_OPEN, lambda n: n == 0, [proc], timeout=timeout)
    return _runs_done(env)


def _drain_raw(env: Env, count: int, timeout: float) -> dict[str, Any]:
    """N queued ``run_workflow("bench-tick")`` tasks, drained by a plain ``qcluster``."""
    django(env, ENQUEUE_RAW.format(count=count, task=RUN_WORKFLOW, args=["bench-tick"]))
    with process(env, "qcluster") as proc:
        wait_sql(env, COUNT_RUNS_DONE, lambda n: n >= count, [proc], timeout)
    return _runs_done(env)


def _drain_noop(env: Env, count: int, timeout: float) -> float:
    """N queued no-ops drained by a plain ``qcluster``; seconds from first to last."""
    stamps_path = Path(env["BUBBLE_VAR_DIR"]) / "stamps.txt"
    stamps_path.unlink(missing_ok=True)
    django(env, ENQUEUE_RAW.format(count=count, task="bench.tasks.noop", args=[]))
    with process({**env, "BENCH_STAMPS": str(stamps_path)}, "qcluster") as proc:
        deadline = time.monotonic() + timeout
        while len(_stamps(stamps_path)) < count:
            check_alive(proc)
            if time.monotonic() > deadline:
                raise TimeoutError(f"qcluster: {len(_stamps(stamps_path))}/{count} no-ops done")
            time.sleep(0.1)
    stamps = _stamps(stamps_path)
    return max(stamps) - min(stamps)


def bench_throughput(env: Env, count: int, rounds: int = 1) -> dict[str, Any]:
    """Trivial runs/s: ours (scheduled) against raw ``async_task`` of the equivalent
    function, ``rounds`` times each, alternating; the median round of each side counts."""
    timeout = 120 + count / 5
    ours_rates, raw_rates, ours_statuses, raw_statuses = [], [], {}, {}
    for _ in range(rounds):
        ours = _drain_ours(env, count, timeout)
        ours_rates.append(count / (ours["span"][1] - ours["span"][0]))
        ours_statuses = ours["statuses"]
        raw = _drain_raw(env, count, timeout)
        raw_rates.append(count / (raw["span"][1] - raw["span"][0]))
        raw_statuses = raw["statuses"]
    noop_rate = count / _drain_noop(env, count, timeout)
    ours_rate, raw_rate = statistics.median(ours_rates), statistics.median(raw_rates)
    return {
        "runs": count,
        "rounds": rounds,
        "workers": int(env["Q_WORKERS"]),
        "ours_statuses": ours_statuses,
        "raw_statuses": raw_statuses,
        "ours_runs_per_s": round(ours_rate, 1),
        "raw_runs_per_s": round(raw_rate, 1),
        "ratio": round(ours_rate / raw_rate, 3),
        "noop_runs_per_s": round(noop_rate, 1),
        "ratio_noop": round(ours_rate / noop_rate, 3),
        "ours_rounds": [round(r, 1) for r in ours_rates],
        "raw_rounds": [round(r, 1) for r in raw_rates],
    }


# --- bulk -----------------------------------------------------------------------------

BULK = """
import json, time
from scheduler import services
from scheduler.models import ScheduledRun
from workflows import engine
from workflows.models import Workflow
wf = Workflow.objects.get(name="bench-fanout")
t0 = time.perf_counter()
result = engine.run(wf, {{"count": {count}}})
write_s = time.perf_counter() - t0
assert result.ok, result.error
scheduled = ScheduledRun.objects.filter(status="scheduled")
ids = [str(pk) for pk in scheduled.values_list("pk", flat=True)]
assert len(ids) == {count} == result.response["count"]
t0 = time.perf_counter()
cancelled = services.cancel(ids)
cancel_s = time.perf_counter() - t0
assert cancelled == {count}, cancelled
ScheduledRun.objects.all().delete()
print(json.dumps({{"write_s": write_s, "cancel_s": cancel_s}}))
"""

BULK_TARGET = 100_000


def bench_bulk(env: Env, count: int) -> dict[str, Any]:
    """``schedule_workflow_on_list`` of ``count`` items in a workflow run, then cancel all;
    figures for fewer items than 100,000 are scaled linearly (and say so)."""
    result = django(env, BULK.format(count=count))
    scale = BULK_TARGET / count
    return {
        "items": count,
        "write_s": round(result["write_s"], 3),
        "cancel_s": round(result["cancel_s"], 3),
        "write_s_at_100k": round(result["write_s"] * scale, 3),
        "cancel_s_at_100k": round(result["cancel_s"] * scale, 3),
    }
