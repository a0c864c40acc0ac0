"""The run figures of ``/metrics``: a prometheus_client custom collector reading the run
statistics at each scrape.

- ``bubble_runs_total{workflow,source,status}``: every finished run, ever;
- ``bubble_run_duration_seconds{workflow}``: a histogram of their durations (the buckets of
  ``workflows.models.stats.BUCKETS``; runs without a duration are not in it);
- ``bubble_runs_in_progress``: runs started and not ended;
- ``bubble_run_stats_lag_seconds``: how far the rollup is behind (alert when it grows: the
  scheduler's housekeeping is not running, and each scrape reads more of the run log).

A scrape is three small queries (the watermark, the totals, the runs since the watermark
through the index on ``Run.finished_at``) and a count of running runs: never the whole run
log. The totals and the live part are read with one watermark (``read.totals``), so the
counters neither jump nor drop when the rollup closes an hour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..choices import RunStatus
from ..models import Run
from . import read
from .counts import BOUNDS, Counts


class RunStatsCollector(Collector):
    """Register with a ``CollectorRegistry`` (``registry.register(RunStatsCollector())``)."""

    def describe(self) -> list[Metric]:
        """The metrics without values: registering reads nothing from the database."""
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        totals, watermark = read.totals()
        runs, durations, in_progress, lag = self._families()
        by_workflow: dict[str, Counts] = defaultdict(Counts)
        for (workflow, source, status), counts in sorted(totals.items()):
            runs.add_metric([workflow, source, status], counts.count)
            by_workflow[workflow].add(counts)
        for workflow, counts in sorted(by_workflow.items()):
            buckets = [(_le(bound), n) for bound, n in zip(BOUNDS, counts.buckets, strict=True)]
            durations.add_metric([workflow], [*buckets, ("+Inf", counts.timed)], counts.sum_s)
        in_progress.add_metric([], Run.objects.filter(status=RunStatus.RUNNING).count())
        lag.add_metric([], max((timezone.now() - watermark).total_seconds(), 0.0))
        yield from (runs, durations, in_progress, lag)

    @staticmethod
    def _families() -> tuple[Metric, Metric, Metric, Metric]:
        return (
            CounterMetricFamily(
                "bubble_runs",
                "Finished workflow runs, by workflow, source and status.",
                labels=["workflow", "source", "status"],
            ),
            HistogramMetricFamily(
                "bubble_run_duration_seconds",
                "How long finished workflow runs took, by workflow.",
                labels=["workflow"],
            ),
            GaugeMetricFamily("bubble_runs_in_progress", "Workflow runs started and not ended."),
            GaugeMetricFamily(
                "bubble_run_stats_lag_seconds",
                "Seconds since the end of the last hour of run statistics rolled up.",
            ),
        )


def _le(bound: float) -> str:
    """A bucket's ``le`` label as Prometheus' clients write it (0.005, 1.0, 3600.0)."""
    return repr(float(bound))
