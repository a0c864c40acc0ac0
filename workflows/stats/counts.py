"""What is counted of a set of finished runs, and the duration percentiles estimated from it.

The same ``Counts`` come from the run log (``run_aggregates``: runs not rolled up yet) and
from the statistics' rows (``stats_aggregates``: closed hours, totals), so the two add up.
Durations are kept as bucket counts, not values: a percentile is an estimate, linear
inside the bucket it falls in, as Prometheus' ``histogram_quantile`` does; it is never off
by more than that bucket's width (docs/operations.md#run-statistics).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum

from ..models.stats import BUCKETS, COUNT_FIELDS

#: the buckets' upper bounds, in seconds
BOUNDS: tuple[float, ...] = tuple(bound for _, bound in BUCKETS)


def run_aggregates() -> dict[str, Any]:
    """``Counts``' fields as aggregates of ``Run`` rows (``annotate(**run_aggregates())``)."""
    aggregates: dict[str, Any] = {
        "count": Count("pk"),
        "timed": Count("duration_ms"),
        "duration_ms_sum": Sum("duration_ms"),
    }
    for name, bound in BUCKETS:
        aggregates[name] = Count("pk", filter=Q(duration_ms__lte=bound * 1000))
    return aggregates


def stats_aggregates() -> dict[str, Any]:
    """``Counts``' fields as sums of statistics rows (``RunStatsHour``, ``RunStatsTotal``)."""
    return {name: Sum(name) for name in COUNT_FIELDS}


@dataclass
class Counts:
    """Runs, those with a known duration (``timed``), their durations' sum and the
    cumulative bucket counts (``buckets[i]``: runs that took at most ``BOUNDS[i]``)."""

    count: int = 0
    timed: int = 0
    duration_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Counts:
        """From a row of either aggregate (a missing or NULL value counts as 0)."""
        return cls(
            count=int(row.get("count") or 0),
            timed=int(row.get("timed") or 0),
            duration_ms_sum=float(row.get("duration_ms_sum") or 0.0),
            buckets=[int(row.get(name) or 0) for name, _ in BUCKETS],
        )

    def add(self, other: Counts) -> Counts:
        self.count += other.count
        self.timed += other.timed
        self.duration_ms_sum += other.duration_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        return self

    def fields(self) -> dict[str, Any]:
        """The model fields of these counts (``RunStatsHour(**counts.fields())``)."""
        return {
            "count": self.count,
            "timed": self.timed,
            "duration_ms_sum": self.duration_ms_sum,
            **{name: n for (name, _), n in zip(BUCKETS, self.buckets, strict=True)},
        }

    @property
    def mean_s(self) -> float | None:
        return self.duration_ms_sum / 1000 / self.timed if self.timed else None

    @property
    def sum_s(self) -> float:
        return self.duration_ms_sum / 1000

    def quantile(self, q: float) -> float | None:
        """The duration (seconds) under which a share ``q`` of the timed runs fall,
        estimated: linear inside its bucket (the first bucket starts at 0). Beyond the last
        bound it is that bound (the runs took longer: how much longer is not kept). None
        without timed runs."""
        if not self.timed:
            return None
        rank = q * self.timed
        below, lower = 0, 0.0
        for upper, cumulative in zip(BOUNDS, self.buckets, strict=True):
            if cumulative >= rank and cumulative > below:
                return lower + (upper - lower) * (rank - below) / (cumulative - below)
            below, lower = cumulative, upper
        return BOUNDS[-1]
