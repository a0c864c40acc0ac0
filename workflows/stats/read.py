"""Reading the statistics: the closed hours (or totals) plus the runs that finished since
the watermark, counted live from the run log.

Each run is in exactly one of the two, provided both are read with the same watermark and
no rollup committed between: ``consistent`` reads the watermark before and after and reads
again if it moved (a rollup closes hours at most a few times an hour, so a second read is
rare and a third rarer still). The live part is bounded by the watermark: a few hours of
runs, read through the index on ``Run.finished_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, F, Sum
from django.db.models.functions import RowNumber

from ..choices import RunStatus
from ..models import Run, RunStatsHour, RunStatsTotal
from ..models.stats import COUNT_FIELDS
from .counts import Counts, run_aggregates, stats_aggregates
from .rollup import KEY, Key, closed_until
from .sql import HourOf, with_status

T = TypeVar("T")
#: reads tried before taking the last one as it is (each after a rollup committed)
ATTEMPTS = 3


def consistent(read: Callable[[datetime], T]) -> T:
    """``read(watermark)`` with a watermark no rollup moved while it read."""
    watermark = closed_until()
    for _ in range(ATTEMPTS):
        result = read(watermark)
        after = closed_until()
        if after == watermark:
            return result
        watermark = after
    return read(watermark)


def totals() -> tuple[dict[Key, Counts], datetime]:
    """Every run ever finished, by (workflow name, source, status); and the watermark."""

    def read(watermark: datetime) -> tuple[dict[Key, Counts], datetime]:
        found: dict[Key, Counts] = defaultdict(Counts)
        closed = RunStatsTotal.objects.values(*KEY, *COUNT_FIELDS)
        live = (
            Run.objects.filter(finished_at__gte=watermark)
            .values(*KEY)
            .annotate(**run_aggregates())
            .order_by()
        )
        for row in [*closed, *live]:
            found[tuple(row[k] for k in KEY)].add(Counts.from_row(row))
        return dict(found), watermark

    return consistent(read)


@dataclass
class WorkflowFigures:
    """One workflow's runs in a window: how many by status, and all of them counted."""

    name: str
    by_status: dict[str, int] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    @property
    def failed(self) -> int:
        return self.by_status.get(RunStatus.FAILED, 0)


@dataclass
class Window:
    """The runs that finished since ``since`` (an hour's start)."""

    since: datetime
    closed_until: datetime
    #: hour's start (UTC) -> status -> runs
    hours: dict[datetime, dict[str, int]]
    workflows: dict[str, WorkflowFigures]

    def by_status(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for figures in self.workflows.values():
            for status, n in figures.by_status.items():
                found[status] += n
        return dict(found)


def window(since: datetime) -> Window:
    """The runs that finished since ``since``: per hour and status, per workflow."""

    def read(watermark: datetime) -> Window:
        closed = RunStatsHour.objects.filter(hour__gte=since, hour__lt=watermark)
        live = Run.objects.filter(finished_at__gte=max(since, watermark))
        hours: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        per_hour = [
            *closed.values("hour", "status").annotate(n=Sum("count")).order_by(),
            *live.annotate(hour=HourOf("finished_at"))
            .values("hour", "status")
            .annotate(n=Count("pk"))
            .order_by(),
        ]
        for row in per_hour:
            hours[row["hour"]][row["status"]] += row["n"]
        workflows: dict[str, WorkflowFigures] = {}
        per_workflow = [
            *closed.values("workflow_name", "status").annotate(**stats_aggregates()).order_by(),
            *live.values("workflow_name", "status").annotate(**run_aggregates()).order_by(),
        ]
        for row in per_workflow:
            name = row["workflow_name"]
            figures = workflows.setdefault(name, WorkflowFigures(name))
            counts = Counts.from_row(row)
            figures.by_status[row["status"]] = (
                figures.by_status.get(row["status"], 0) + counts.count
            )
            figures.counts.add(counts)
        return Window(since, watermark, {h: dict(s) for h, s in hours.items()}, workflows)

    return consistent(read)


@dataclass(frozen=True)
class Failure:
    """A workflow's last failed run."""

    run_id: Any
    finished_at: datetime
    error_code: str
    error_message: str


def last_failures(names: Iterable[str], since: datetime, watermark: datetime) -> dict[str, Failure]:
    """The last failed run since ``since`` of each workflow named: from the run log after
    the watermark (bounded by it), else from the closed hours; a query each."""
    found: dict[str, Failure] = {}
    names = list(names)
    live = (
        with_status(Run.objects.filter(finished_at__gte=max(since, watermark)), RunStatus.FAILED)
        .filter(workflow_name__in=names)
        .annotate(rank=_last_first("workflow_name", "finished_at"))
        .filter(rank=1)
        .values("workflow_name", "pk", "finished_at", "error_code", "error_message")
        .order_by()
    )
    for row in live:
        found[row["workflow_name"]] = Failure(
            row["pk"], row["finished_at"], row["error_code"], row["error_message"]
        )
    missing = [name for name in names if name not in found]
    if missing:
        closed = (
            RunStatsHour.objects.filter(
                hour__gte=since,
                hour__lt=watermark,
                status=RunStatus.FAILED,
                workflow_name__in=missing,
                last_finished_at__isnull=False,
            )
            .annotate(rank=_last_first("workflow_name", "last_finished_at"))
            .filter(rank=1)  # each workflow's last: one row each
            .values(
                "workflow_name",
                "last_run_id",
                "last_finished_at",
                "last_error_code",
                "last_error_message",
            )
            .order_by()
        )
        for row in closed:
            found[row["workflow_name"]] = Failure(
                row["last_run_id"],
                row["last_finished_at"],
                row["last_error_code"],
                row["last_error_message"],
            )
    return found


def _last_first(partition: str, moment: str) -> models.Window:
    """1 for the latest row (by ``moment``) of each ``partition``."""
    return models.Window(RowNumber(), partition_by=[F(partition)], order_by=F(moment).desc())
