"""Pruning a large run history while the application writes runs.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.pruning --rows N

Bulk-inserts ``N`` finished runs past the retention (ten workflows; 90% succeeded, 8%
failed, 2% condition not met), two steps each, and ``N / 10`` finished scheduled runs
linked to them, as a busy installation's history would be (SQL multi-row inserts, as
bench/admin_pages.py). Then a writer in another process writes one run with one step per
transaction without pause (a run's log, as the engine writes it), and measures:

* the baseline: the writer's longest and 99th-percentile write over a few seconds with
  nothing else running;
* the pruning: ``scheduler.retention.prune_history`` with the project's settings
  (``PRUNE_BATCH_SIZE``, ``PRUNE_PAUSE``), as the scheduler's housekeeping runs it: its
  total time, its batches and the longest batch transaction, and the writer's longest and
  99th-percentile write while it ran (goal: no write blocked 100 ms or more).

On SQLite the Runs search's index file is built from the history first (its time
reported), and while pruning runs it is kept up to date as the dispatcher keeps it: a
catch-up in a thread of this process every ``REAP_INTERVAL`` seconds
(workflows/run_text_index.py).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import multiprocessing
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import django

GOAL_MS = 100.0  # docs/performance.md: pruning never blocks a writer 100 ms or more
WORKFLOWS = 10
STEPS = 2
RUN_MIX = (("succeeded", 0.9), ("failed", 0.08), ("condition_not_met", 0.02))
#: days before now the history lies: all of it past the default retentions (30 and 90 days)
AGE_DAYS = {"succeeded": 40, "failed": 100, "condition_not_met": 40}


def populate(rows: int) -> dict[str, Any]:
    """``rows`` runs with ``STEPS`` steps each, ``rows // 10`` scheduled runs."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from scheduler.models import ScheduledRun
    from workflows.models import Run, RunStatsWatermark, StepRun, Workflow

    from .admin_pages import _mix, insert_rows

    now = timezone.now()
    workflows = [
        Workflow.objects.get_or_create(name=f"bench-prune-{i}", defaults={"kind": "api"})[0]
        for i in range(WORKFLOWS)
    ]
    spread = datetime.timedelta(days=30).total_seconds()
    run_ids: list[uuid.UUID] = []
    started = time.perf_counter()
    with transaction.atomic():
        for status, count in _mix(rows, RUN_MIX):
            for w, workflow in enumerate(workflows):
                share = count // WORKFLOWS + (1 if w < count % WORKFLOWS else 0)
                ids = [uuid.uuid4() for _ in range(share)]
                run_ids += ids
                oldest = now - datetime.timedelta(days=AGE_DAYS[status])
                common = {
                    "workflow": workflow,
                    "workflow_name": workflow.name,
                    "status": status,
                    "source": "api",
                    "params": {"order": {"_type": "examples.Order", "_id": 1}},
                    "duration_ms": 3.0,
                }
                insert_rows(
                    Run,
                    common,
                    ("id", "started_at", "finished_at"),
                    (
                        (pk, at, at)
                        for i, pk in enumerate(ids)
                        for at in [oldest - datetime.timedelta(seconds=i * spread / share)]
                    ),
                )
        first_step = (StepRun.objects.aggregate(last=Max("id"))["last"] or 0) + 1
        insert_rows(
            StepRun,
            {"action_type": "log", "status": "succeeded", "inputs": {"message": "paid"}},
            ("id", "run", "position", "output"),
            (
                (first_step + n * STEPS + position, pk, position, "paid")
                for n, pk in enumerate(run_ids)
                for position in range(1, STEPS + 1)
            ),
        )
        due = now - datetime.timedelta(days=AGE_DAYS["succeeded"])
        insert_rows(
            ScheduledRun,
            {"workflow": workflows[0], "status": "succeeded", "origin": "list", "attempts": 1},
            ("id", "due_at", "finished_at", "run"),
            ((uuid.uuid4(), due, due, pk) for pk in run_ids[: rows // 10]),
        )
    populate_s = time.perf_counter() - started
    # the run statistics have counted this history (pruning leaves runs they have not)
    RunStatsWatermark.objects.update_or_create(pk=1, defaults={"closed_until": now})
    with connection.cursor() as cursor:
        # steps were given their ids: the writer's next ones come after them
        for statement in connection.ops.sequence_reset_sql(no_style(), [StepRun]):
            cursor.execute(statement)
        if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would give
            for model in (Run, StepRun, ScheduledRun):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {"populate_s": round(populate_s, 1), "workflow": workflows[0].pk}


def write_runs(workflow_id: int, stop: Any, marks: Any) -> None:
    """The writer (its own process): one run and its step per transaction until ``stop``;
    each write's (start, seconds) on ``marks`` at the end."""
    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.models import Run, StepRun

    #: each write: (start, seconds, of which waiting for the lock, of which its commit)
    done: list[tuple[float, float, float, float]] = []
    try:
        while not stop.is_set():
            start = time.monotonic()
            with transaction.atomic():
                locked = time.monotonic()  # SQLite: BEGIN IMMEDIATE has the write lock
                run = Run.objects.create(
                    workflow_id=workflow_id,
                    workflow_name="bench-prune-0",
                    status="succeeded",
                    finished_at=timezone.now(),
                )
                StepRun.objects.create(run=run, position=1, action_type="log", status="succeeded")
                written = time.monotonic()
            end = time.monotonic()
            done.append((start, end - start, locked - start, end - written))
    finally:
        connection.close()
        marks.put(done)


def writes_between(marks: list[tuple[float, ...]], start: float, end: float) -> list[tuple]:
    """The writes running at some moment in [start, end]."""
    return [m for m in marks if m[0] <= end and m[0] + m[1] >= start]


def long_writes(marks: list[tuple[float, ...]], start: float, end: float) -> dict[str, Any]:
    """Where the writes of 10 ms or more in [start, end] spent their time: waiting for the
    write lock (a batch holding it) or in their own commit (a checkpoint of the write-ahead
    log made inside it); the ten longest."""
    found = sorted(
        (m for m in marks if start <= m[0] <= end and m[1] >= 0.010), key=lambda m: -m[1]
    )
    return {
        "writes_10ms_or_more": len(found),
        "mostly_waiting_for_the_lock": sum(1 for _, s, w, _ in found if w > s / 2),
        "mostly_in_their_commit": sum(1 for _, s, _, c in found if c > s / 2),
        "longest": [
            {
                "ms": round(s * 1000, 1),
                "lock_wait_ms": round(w * 1000, 1),
                "commit_ms": round(c * 1000, 1),
            }
            for _, s, w, c in found[:10]
        ],
    }


def _summary(writes: list[tuple[float, ...]]) -> dict[str, Any]:
    """Their durations; ``blocked``: how many waited the goal or longer for the write lock
    (a batch holding it), as against ``over_goal``: how many took that long in all, their
    own commit included (SQLite copying its write-ahead log back, with or without a
    pruning: docs/performance.md, "Pruning run history")."""
    waits = [m[1] for m in writes]
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    lock_waits = [m[2] for m in writes]
    return {
        "writes": len(waits),
        "median_ms": round(statistics.median(waits) * 1000, 2) if waits else None,
        "p99_ms": round(p99 * 1000, 2),
        "longest_ms": round(max(waits, default=0.0) * 1000, 2),
        "over_goal": sum(1 for w in waits if w * 1000 >= GOAL_MS),
        "longest_lock_wait_ms": round(max(lock_waits, default=0.0) * 1000, 2),
        "blocked": sum(1 for w in lock_waits if w * 1000 >= GOAL_MS),
    }


def _build_text_index() -> float | None:
    """SQLite: the Runs search's index file built from the history (None elsewhere)."""
    from workflows import run_text_index

    if not run_text_index.queued_in_main():
        return None
    started = time.perf_counter()
    run_text_index.catch_up()
    return round(time.perf_counter() - started, 1)


@contextlib.contextmanager
def _text_index_kept() -> Iterator[None]:
    """The dispatcher's upkeep of SQLite's index file meanwhile (a no-op elsewhere)."""
    from scheduler import conf
    from workflows import run_text_index

    done = threading.Event()

    def keep() -> None:
        while not done.is_set():
            run_text_index.catch_up_in_background()
            done.wait(conf.get("REAP_INTERVAL"))

    keeper = threading.Thread(target=keep, name="bench-index-keeper", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()
        if run_text_index._worker is not None:
            run_text_index._worker.join()


def measure(rows: int, baseline: float = 3.0, prune: bool = True) -> dict[str, Any]:
    """Populate ``rows`` runs, run the writer alone for ``baseline`` seconds, then (``prune``)
    while the history is pruned."""
    from django.db import connection
    from django.utils import timezone

    from scheduler.models import ScheduledRun
    from scheduler.retention import prune_history
    from workflows import conf
    from workflows.models import Run, StepRun
    from workflows.retention import retention

    info = populate(rows)
    index_s = _build_text_index()
    connection.close()  # the writer process opens its own
    spawn = multiprocessing.get_context("spawn")
    stop, marks = spawn.Event(), spawn.Queue()
    writer = spawn.Process(target=write_runs, args=(info["workflow"], stop, marks))
    writer.start()
    try:
        time.sleep(2.0)  # the writer is in its stride  # noqa: TID251 - a benchmark's pacing
        base_start = time.monotonic()
        with _text_index_kept():
            time.sleep(baseline)  # noqa: TID251
        base_end = time.monotonic()
        cutoffs = retention().cutoffs(timezone.now())
        prune_start = time.monotonic()
        if prune:
            with _text_index_kept():
                pruned = prune_history(cutoffs)
        prune_end = time.monotonic()
        time.sleep(0.5)  # writes that were waiting finish  # noqa: TID251
    finally:
        stop.set()
        done = marks.get(timeout=120)
        writer.join(timeout=60)
    if not done:
        raise RuntimeError("the writer wrote nothing (its error is on stderr)")
    alone = {
        "seconds": baseline,
        **_summary(writes_between(done, base_start, base_end)),
        "long_writes": long_writes(done, base_start, base_end),
    }
    if not prune:
        return {"rows": rows, "populate_s": info["populate_s"], "baseline": alone}
    left = {
        "runs": Run.objects.filter(workflow_name__startswith="bench-prune-")
        .exclude(started_at__gte=timezone.now() - datetime.timedelta(days=1))
        .count(),
        "scheduled_runs": ScheduledRun.objects.count(),
    }
    written = Run.objects.filter(started_at__gte=timezone.now() - datetime.timedelta(days=1))
    return {
        "rows": rows,
        "steps": rows * STEPS,
        "scheduled_runs": rows // 10,
        "populate_s": info["populate_s"],
        "text_index_build_s": index_s,
        "batch_size": conf.get("PRUNE_BATCH_SIZE"),
        "pause_s": conf.get("PRUNE_PAUSE"),
        "prune_s": round(prune_end - prune_start, 1),
        "pruned_runs": pruned.runs,
        "pruned_steps": pruned.steps,
        "pruned_scheduled_runs": pruned.counts.get("scheduler.ScheduledRun", 0),
        "batches": pruned.batches,
        "longest_batch_ms": round(pruned.longest_batch_s * 1000, 1),
        "left_behind": left,
        "writer_rows_kept": written.count() == len(done)
        and StepRun.objects.filter(run__in=written).count() == len(done),
        "baseline": alone,
        "during": _summary(writes_between(done, prune_start, prune_end)),
        "long_writes": long_writes(done, prune_start, prune_end),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--baseline",
        type=float,
        default=None,
        help="Seconds of the writer alone first (default: 1 per 10,000 runs, 3 to 60).",
    )
    parser.add_argument(
        "--no-prune", action="store_true", help="Only the writer alone, on the history."
    )
    args = parser.parse_args()
    django.setup()
    baseline = (
        args.baseline if args.baseline is not None else min(60.0, max(3.0, args.rows / 10_000))
    )
    print(json.dumps(measure(args.rows, baseline, not args.no_prune)))


if __name__ == "__main__":
    main()
