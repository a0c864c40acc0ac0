"""Closing finished hours: the runs that finished in them counted into ``RunStatsHour`` and
added to ``RunStatsTotal``, the watermark moved past them, in one transaction.

A run is counted in the hour it finished. An hour is closed only once no run can still
appear in it:

- ``RUN_STATS_SETTLE`` seconds after it ended (a run that started just before writes its
  row within that time), and
- once no run that started before its end is still running: a run writes its end, and its
  custom events' runs (which finished earlier), only when it commits. Past the longest a
  run may last (``LONGEST_TIMEOUT`` plus ``ABANDONED_RUN_GRACE``) a run still "running" is
  a lost one and no longer holds the hour back: when it is ended, it ends now.

Closing is idempotent and safe with several schedulers at once: the counts are read first,
then one transaction moves the watermark with a guarded UPDATE (``WHERE closed_until =
<what was read>``) before writing them; a scheduler that finds the watermark moved writes
nothing (on PostgreSQL it waits on the row until the other commits; on SQLite, on the
database's write lock). A closed hour is never counted again.

One case counts a run twice: a run ended as lost (``WORKER_LOST``, by the reaper or
``runs_abandoned_close``) that was only slow and later writes its own end, in another hour.
Pruning the run log must delete only runs that finished before the watermark
(``closed_until()``): others would never be counted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .. import conf
from ..choices import RunStatus
from ..models import Run, RunStatsHour, RunStatsTotal, RunStatsWatermark
from ..models.stats import COUNT_FIELDS
from ..services import LONGEST_TIMEOUT
from .counts import Counts, run_aggregates
from .sql import UTC, HourOf, with_status

logger = logging.getLogger("workflows.stats")

HOUR = timedelta(hours=1)
#: where the watermark starts: before any run
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: most hours closed in one transaction (each its own aggregate read before it)
CHUNK_HOURS = 24
#: the keys of a row of statistics
KEY = ("workflow_name", "source", "status")
#: the longest error message kept for the dashboard
ERROR_KEPT = 1000
#: rows deleted per statement when old hours go
DELETE_BATCH = 5000
#: rows per INSERT of the rollup's rows (a catch-up writes thousands)
BULK_BATCH = 500

Key = tuple[str, str, str]


def floor_hour(moment: datetime) -> datetime:
    """The start of ``moment``'s hour, in UTC."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def closed_until() -> datetime:
    """The watermark: runs that finished before it are in the closed hours."""
    row, _ = RunStatsWatermark.objects.get_or_create(pk=1, defaults={"closed_until": EPOCH})
    return row.closed_until


def closable_until(now: datetime) -> datetime:
    """The end of the last hour that may be closed at ``now`` (see the module's docstring)."""
    settled = floor_hour(now - timedelta(seconds=conf.get("RUN_STATS_SETTLE")))
    oldest_running = (
        Run.objects.filter(status=RunStatus.RUNNING, started_at__lt=settled)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if oldest_running is None:
        return settled
    longest = timedelta(seconds=LONGEST_TIMEOUT + conf.get("ABANDONED_RUN_GRACE"))
    return max(floor_hour(oldest_running), floor_hour(now - longest), EPOCH)


def close_hours(now: datetime | None = None) -> int:
    """Close every hour that may be closed at ``now``, ``CHUNK_HOURS`` at most per
    transaction; how many runs were counted here (none when another scheduler did it)."""
    now = now or timezone.now()
    until = closable_until(now)
    start = closed_until()
    counted = 0
    while start < until:
        end = _chunk_end(start, until)
        runs = _close(start, end, now)
        if runs is None:
            break  # another scheduler moved the watermark: it closes them
        counted += runs
        start = end
    return counted


def prune_hours(now: datetime | None = None) -> int:
    """Delete closed hours older than ``RUN_STATS_KEEP_DAYS`` (the totals keep them), in
    small batches; how many rows."""
    now = now or timezone.now()
    before = now - timedelta(days=conf.get("RUN_STATS_KEEP_DAYS"))
    deleted = 0
    while True:
        ids = list(
            RunStatsHour.objects.filter(hour__lt=before)
            .order_by("hour")
            .values_list("pk", flat=True)[:DELETE_BATCH]
        )
        if not ids:
            return deleted
        deleted += RunStatsHour.objects.filter(pk__in=ids).delete()[0]


def run_stats_chore() -> int:
    """The scheduler's housekeeping chore: close finished hours, then delete old ones;
    returns how many hour rows it deleted."""
    counted = close_hours()
    if counted:
        logger.info("run statistics: %s runs counted, up to %s", counted, closed_until())
    return prune_hours()


# --- one chunk -----------------------------------------------------------------------------


def _chunk_end(start: datetime, until: datetime) -> datetime:
    """Where the chunk from ``start`` ends: ``CHUNK_HOURS`` after the first hour with a
    run (empty hours cost nothing), at most ``until``."""
    first = (
        Run.objects.filter(finished_at__gte=start, finished_at__lt=until)
        .order_by("finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if first is None:
        return until
    return min(max(floor_hour(first), start) + CHUNK_HOURS * HOUR, until)


def _close(start: datetime, end: datetime, now: datetime) -> int | None:
    """Count the runs that finished in ``[start, end)`` into hours and totals, and move the
    watermark from ``start`` to ``end``: how many runs; None if the watermark was not at
    ``start`` any more (nothing written)."""
    hours = _hour_rows(start, end)
    with transaction.atomic():
        moved = RunStatsWatermark.objects.filter(pk=1, closed_until=start).update(
            closed_until=end, moved_at=now
        )
        if not moved:
            return None
        RunStatsHour.objects.bulk_create(hours, batch_size=BULK_BATCH)
        _add_to_totals(hours)
    return sum(row.count for row in hours)


def _hour_rows(start: datetime, end: datetime) -> list[RunStatsHour]:
    """Unsaved rows: the runs that finished in ``[start, end)`` by hour and key, the
    failed ones with their last run and error."""
    runs = Run.objects.filter(finished_at__gte=start, finished_at__lt=end)
    hour = HourOf("finished_at")
    grouped = runs.annotate(hour=hour).values("hour", *KEY).annotate(**run_aggregates())
    rows = {
        (row["hour"], *(row[k] for k in KEY)): RunStatsHour(
            hour=row["hour"],
            **{k: row[k] for k in KEY},
            **Counts.from_row(row).fields(),
        )
        for row in grouped.order_by()
    }
    last_failed = (
        with_status(runs, RunStatus.FAILED)
        .annotate(
            hour=hour,
            rank=Window(
                RowNumber(),
                partition_by=[hour, *(F(k) for k in KEY)],
                order_by=F("finished_at").desc(),
            ),
        )
        .filter(rank=1)
        .values("hour", *KEY, "pk", "finished_at", "error_code", "error_message")
        .order_by()
    )
    for failed in last_failed:
        row = rows.get((failed["hour"], *(failed[k] for k in KEY)))
        if row is not None:
            row.last_run_id = failed["pk"]
            row.last_finished_at = failed["finished_at"]
            row.last_error_code = failed["error_code"]
            row.last_error_message = failed["error_message"][:ERROR_KEPT]
    return list(rows.values())


def _add_to_totals(hours: list[RunStatsHour]) -> None:
    """Add the hours' counts to the totals, inside the transaction that holds the
    watermark's row: nobody else writes them meanwhile, so each is read, added to and
    written back as it is (one prepared UPDATE or INSERT per key)."""
    sums: dict[Key, Counts] = defaultdict(Counts)
    for row in hours:
        sums[(row.workflow_name, row.source, row.status)].add(Counts.from_row(row.__dict__))
    existing = {
        (row["workflow_name"], row["source"], row["status"]): row
        for row in RunStatsTotal.objects.values("pk", *KEY, *COUNT_FIELDS)
    }
    new = []
    for key, counts in sums.items():
        row = existing.get(key)
        if row is None:
            new.append(RunStatsTotal(**dict(zip(KEY, key, strict=True)), **counts.fields()))
        else:
            total = Counts.from_row(row).add(counts)
            RunStatsTotal.objects.filter(pk=row["pk"]).update(**total.fields())
    RunStatsTotal.objects.bulk_create(new, batch_size=BULK_BATCH)
