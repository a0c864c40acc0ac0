"""What is counted of runs, and percentiles estimated from the duration buckets."""

from __future__ import annotations

import pytest

from workflows.models import Run, RunStatsHour
from workflows.models.stats import BUCKETS
from workflows.stats.counts import BOUNDS, Counts, run_aggregates, stats_aggregates

from .conftest import at


def counts_of(durations_s: list[float]) -> Counts:
    """Counts as the SQL aggregates would give them, computed by hand."""
    return Counts(
        count=len(durations_s),
        timed=len(durations_s),
        duration_ms_sum=sum(durations_s) * 1000,
        buckets=[sum(1 for d in durations_s if d <= bound) for bound in BOUNDS],
    )


def test_the_buckets_are_the_models_fields_in_increasing_order():
    assert [name for name, _ in BUCKETS] == [
        f.name for f in RunStatsHour._meta.fields if f.name.startswith("le_")
    ]
    assert list(BOUNDS) == sorted(BOUNDS)


def test_a_percentile_is_interpolated_inside_its_bucket():
    # 100 runs: 50 of 0.2 s (bucket 0.1-0.25), 50 of 2 s (bucket 1-2.5)
    counts = counts_of([0.2] * 50 + [2.0] * 50)
    assert counts.quantile(0.5) == pytest.approx(0.25)  # the top of the first half's bucket
    assert counts.quantile(0.95) == pytest.approx(1.0 + 1.5 * 45 / 50)
    assert counts.mean_s == pytest.approx(1.1)


@pytest.mark.parametrize("value", [0.003, 0.07, 0.4, 3.0, 42.0, 700.0])
def test_an_estimate_is_never_off_by_more_than_its_bucket(value):
    estimate = Counts.quantile(counts_of([value] * 10), 0.95)
    upper = next(bound for bound in BOUNDS if bound >= value)
    lower = max([0.0, *(bound for bound in BOUNDS if bound < value)])
    assert lower <= estimate <= upper


def test_runs_longer_than_the_last_bucket_read_as_its_bound_and_no_runs_as_none():
    assert counts_of([5000.0] * 3).quantile(0.5) == BOUNDS[-1]
    assert Counts().quantile(0.5) is None
    assert Counts().mean_s is None


def test_counts_from_the_run_log_and_from_statistics_rows_add_up_the_same(finished_run):
    for duration in (3.0, 8.0, 40.0, 1500.0, None):
        finished_run(at(minutes=5), duration_ms=duration)
    live = Counts.from_row(Run.objects.aggregate(**run_aggregates()))
    assert (live.count, live.timed) == (5, 4)
    assert live.buckets[0] == 1 and live.buckets[1] == 2 and live.buckets[-1] == 4
    RunStatsHour.objects.create(
        hour=at(), workflow_name="wf", source="api", status="x", **live.fields()
    )
    RunStatsHour.objects.create(
        hour=at(1), workflow_name="wf", source="api", status="x", **live.fields()
    )
    closed = Counts.from_row(RunStatsHour.objects.aggregate(**stats_aggregates()))
    assert closed == Counts().add(live).add(live)
