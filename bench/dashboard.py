"""The runs dashboard and the run figures of ``/metrics`` at many runs; what the index on
``Run.finished_at`` costs each run; how long rolling up a whole history takes.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.dashboard --runs N

Bulk-inserts ``N`` runs over the last 30 days (twenty workflows, five sources, 90%
succeeded, 8% failed with an error, 2% condition not met, durations from milliseconds to
minutes) and ``N`` scheduled runs (history with its lateness, and upcoming ones), as
bench/admin_pages.py does. Then:

1. the first rollup of that history (``close_hours`` up to an hour ago: the watermark then
   lags as it does between two hourly housekeeping passes, one to two hours of runs
   counted live), and the next pass, closing one more hour;
2. the admin's index with the dashboard, 24 hours and 7 days, rendered by Django's test
   client as a superuser (the whole page: queries, templates, middleware; no network);
   one warm-up, then ``--views`` times, median and max; the dashboard's context alone too;
3. a scrape of both collectors (``generate_latest``), the same way;
4. the run log's writes (the ``Run`` row, then its end, as the engine writes them) with and
   without ``run_finished_idx``, rounds alternating, on the table of ``N`` runs (on
   PostgreSQL without waiting for each commit's flush, which costs the same either way);
   and the index's build on it (what migration 0015 costs).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import django

from .admin_pages import _mix, insert_rows

GOAL_S = 0.5  # docs/performance.md: the dashboard, 1,000,000 runs, answers in < 0.5 s
WORKFLOWS = 20
DAYS = 30
SOURCES = ("api", "scheduled", "recurring", "trigger", "custom_event")
RUN_MIX = (("succeeded", 0.9), ("failed", 0.08), ("condition_not_met", 0.02))
#: scheduled runs: history (started, with a lateness), some missed or cancelled, upcoming
SCHEDULED_MIX = (
    ("succeeded", 0.6),
    ("failed", 0.03),
    ("missed", 0.01),
    ("cancelled", 0.06),
    ("scheduled", 0.3),
)
#: a workflow's typical duration in ms: from a lookup to a long import
TYPICAL_MS = (3, 8, 20, 45, 120, 300, 900, 2500, 8000, 40000)


def _duration(w: int, i: int) -> float:
    """Run ``i`` of workflow ``w``: its typical duration times 0.3 to 3, spread evenly."""
    return TYPICAL_MS[w % len(TYPICAL_MS)] * (0.3 + (i * 7919 % 1000) / 370)


def populate(runs: int, scheduled: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from scheduler.models import ScheduledRun
    from workflows.models import Run, Workflow

    now = timezone.now()
    workflows = [
        Workflow.objects.get_or_create(name=f"bench-dash-{i}", defaults={"kind": "api"})[0]
        for i in range(WORKFLOWS)
    ]
    span = datetime.timedelta(days=DAYS).total_seconds()
    started = time.perf_counter()
    with transaction.atomic():
        for status, count in _mix(runs, RUN_MIX):
            for w, workflow in enumerate(workflows):
                share = count // WORKFLOWS + (1 if w < count % WORKFLOWS else 0)
                failed = status == "failed"
                common = {
                    "workflow": workflow,
                    "workflow_name": workflow.name,
                    "status": status,
                    "source": SOURCES[w % len(SOURCES)],
                    "params": {"n": 1},
                    "error_code": "HTTP_ERROR" if failed else "",
                    "error_message": (
                        f"step 2 (call the service of {workflow.name}): the server answered 502"
                        if failed
                        else ""
                    ),
                }

                def rows(w: int = w, share: int = share):
                    for i in range(share):
                        ended = now - datetime.timedelta(seconds=(i + 0.5) * span / share)
                        took = _duration(w, i)
                        yield (
                            uuid.uuid4(),
                            ended - datetime.timedelta(milliseconds=took),
                            ended,
                            took,
                        )

                insert_rows(Run, common, ("id", "started_at", "finished_at", "duration_ms"), rows())
    runs_s = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        for status, count in _mix(scheduled, SCHEDULED_MIX):
            upcoming = status == "scheduled"
            for w, workflow in enumerate(workflows):
                share = count // WORKFLOWS + (1 if w < count % WORKFLOWS else 0)
                common = {"workflow": workflow, "status": status, "origin": "list"}

                def rows(share: int = share, upcoming: bool = upcoming, status: str = status):
                    for i in range(share):
                        offset = datetime.timedelta(seconds=(i + 0.5) * span / share)
                        due = now + offset if upcoming else now - offset
                        late = datetime.timedelta(milliseconds=20 + i * 7919 % 900)
                        ran = status in ("succeeded", "failed")
                        yield uuid.uuid4(), {"n": i}, due, due + late if ran else None

                insert_rows(ScheduledRun, common, ("id", "params", "due_at", "started_at"), rows())
    scheduled_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give
            cursor.execute(f"ANALYZE {ScheduledRun._meta.db_table}, {Run._meta.db_table}")
    return {"insert_runs_s": round(runs_s, 1), "insert_scheduled_s": round(scheduled_s, 1)}


def _timed(repeats: int, call: Callable[[], Any]) -> dict[str, float]:
    """``call()`` once to warm up, then ``repeats`` times: median and max seconds."""
    times = []
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        call()
        if attempt:
            times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4)}


def first_rollup() -> dict[str, Any]:
    """The first rollup of the whole history, up to an hour ago: the watermark then lags
    as it does between two hourly housekeeping passes."""
    from django.utils import timezone

    from workflows.models import RunStatsHour
    from workflows.stats.rollup import HOUR, close_hours

    start = time.perf_counter()
    counted = close_hours(timezone.now() - HOUR)
    return {
        "first_rollup_s": round(time.perf_counter() - start, 2),
        "first_rollup_runs": counted,
        "hour_rows": RunStatsHour.objects.count(),
    }


def next_rollup() -> dict[str, Any]:
    """The next housekeeping pass: one more hour closed."""
    from django.utils import timezone

    from workflows.models import Run
    from workflows.stats.rollup import close_hours, closed_until

    live = Run.objects.filter(finished_at__gte=closed_until()).count()
    start = time.perf_counter()
    counted = close_hours(timezone.now())
    return {
        "live_runs": live,
        "next_rollup_s": round(time.perf_counter() - start, 4),
        "next_rollup_runs": counted,
    }


def views(repeats: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from workflows.stats.dashboard import dashboard_context

    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    index = reverse("admin:index")
    pages = {}
    from workflows.stats import dashboard

    real, dashboard.dashboard_context = dashboard.dashboard_context, lambda request: {}
    try:  # the baseline: the same page without the dashboard
        pages["index without the dashboard"] = _timed(repeats, lambda: client.get(index))
    finally:
        dashboard.dashboard_context = real
    for period in ("24h", "7d"):

        def page(period: str = period) -> None:
            response = client.get(index, {"dashboard": period})
            if response.status_code != 200 or b'id="dashboard"' not in response.content:
                raise RuntimeError(f"{index}?dashboard={period}: HTTP {response.status_code}")

        pages[f"index, {period}"] = _timed(repeats, page)
        request = RequestFactory().get(index, {"dashboard": period})
        request.user = admin
        pages[f"dashboard context alone, {period}"] = _timed(
            repeats, lambda request=request: dashboard_context(request)
        )
    return pages


def scrape(repeats: int) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry, generate_latest

    from scheduler.metrics import SchedulerCollector
    from workflows.stats.collector import RunStatsCollector

    registry = CollectorRegistry()
    registry.register(RunStatsCollector())
    registry.register(SchedulerCollector())
    size = len(generate_latest(registry))
    return {**_timed(repeats, lambda: generate_latest(registry)), "bytes": size}


def _run_log_writes(count: int) -> float:
    """Seconds per run for ``count`` runs' log rows, written as the engine writes them: the
    row (running) in its own statement, then its end in a transaction. On PostgreSQL
    without waiting for each commit's flush to disk (``synchronous_commit = off``, this
    session only): a flush costs the same with or without the index and, on a busy disk,
    would drown the difference."""
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows import statements
    from workflows.models import Run

    rows = [
        Run(workflow_name="bench-write", source="api", status="running", params={"n": i})
        for i in range(count)
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
    start = time.perf_counter()
    for run in rows:
        statements.insert([run])
        end = {"status": "succeeded", "finished_at": timezone.now(), "duration_ms": 1.0}
        with transaction.atomic():
            statements.update(Run, run.pk, end)
    return (time.perf_counter() - start) / count


def index_cost(count: int, rounds: int) -> dict[str, Any]:
    """The run log's writes with and without ``run_finished_idx``, rounds alternating; and
    the index's build on the table as it is."""
    from django.db import connection

    from workflows.models import Run

    index = next(i for i in Run._meta.indexes if i.name == "run_finished_idx")
    with_index, without, builds = [], [], []
    _run_log_writes(200)  # warm-up: statements built, caches filled
    for _ in range(rounds):
        with_index.append(_run_log_writes(count))
        with connection.schema_editor() as editor:
            editor.remove_index(Run, index)
        without.append(_run_log_writes(count))
        start = time.perf_counter()
        with connection.schema_editor() as editor:
            editor.add_index(Run, index)
        builds.append(time.perf_counter() - start)
    return {
        "runs_per_round": count,
        "rounds": rounds,
        "with_index_us": [round(s * 1e6, 1) for s in with_index],
        "without_index_us": [round(s * 1e6, 1) for s in without],
        "extra_us_per_run": round(
            (statistics.median(with_index) - statistics.median(without)) * 1e6, 1
        ),
        "index_build_s": round(statistics.median(builds), 2),
        "table_runs": Run.objects.count(),
    }


def forget_statistics() -> None:
    """Start from no statistics: the history made here is in the past, and a rollup done
    on this database before (an earlier benchmark's scheduler) would have closed its
    hours already, leaving them uncounted, as a run written late into a closed hour."""
    from workflows.models import RunStatsHour, RunStatsTotal, RunStatsWatermark

    for model in (RunStatsHour, RunStatsTotal, RunStatsWatermark):
        model.objects.all().delete()


def measure(runs: int, scheduled: int, repeats: int, writes: int) -> dict[str, Any]:
    forget_statistics()
    info = populate(runs, scheduled)
    info.update(first_rollup())
    result = {"runs": runs, "scheduled": scheduled, "views": repeats, **info}
    result["pages"] = views(repeats)
    result["scrape"] = scrape(repeats)
    result.update(next_rollup())
    result["index_cost"] = index_cost(writes, rounds=5)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--scheduled", type=int, help="scheduled runs (default: as many)")
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--writes", type=int, default=3000, help="runs written per round")
    args = parser.parse_args()
    django.setup()
    scheduled = args.runs if args.scheduled is None else args.scheduled
    print(json.dumps(measure(args.runs, scheduled, args.views, args.writes)))


if __name__ == "__main__":
    main()
