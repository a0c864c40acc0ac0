"""The scheduler's figures of ``/metrics``: a prometheus_client custom collector.

- ``bubble_scheduler_lateness_seconds{quantile}``: how late the runs due in the last hour
  started (p50, p95, max of the latest ``figures.LATENESS_SAMPLE`` started);
- ``bubble_scheduler_queue_depth``: runs due and not started yet: waiting for the
  dispatcher (or paused) plus handed to a worker's queue;
- ``bubble_scheduler_due_next_hour``: runs due in the coming hour;
- ``bubble_scheduled_runs{status}``: pending runs (scheduled, queued, running), exactly;
- ``bubble_scheduled_runs_last_24h{status}``: runs due in the last 24 hours that ended, by
  final status (missed and cancelled runs have no run of their own to count).

The paused state and the schedulers' liveness are ``bubble_backend.ops.collectors``'.

Each is an index range or a count of pending rows (scheduler/figures.py): a scrape never
reads the scheduler's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import figures
from .models import FINISHED, Status


class SchedulerCollector(Collector):
    """Register with a ``CollectorRegistry`` (``registry.register(SchedulerCollector())``)."""

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        lateness, depth, due, pending, ended = self._families()
        late = figures.lateness(now - timedelta(hours=1), now)
        if late is not None:
            for quantile, value in (("0.5", late.p50), ("0.95", late.p95), ("1", late.max)):
                lateness.add_metric([quantile], value)
        counts = figures.pending_counts()
        depth.add_metric([], figures.waiting(now) + counts[Status.QUEUED])
        due.add_metric([], figures.due_count(now, now + timedelta(hours=1)))
        for status, n in counts.items():
            pending.add_metric([status], n)
        for status, n in figures.ended_since(now - timedelta(hours=24), now, FINISHED).items():
            ended.add_metric([status], n)
        yield from (lateness, depth, due, pending, ended)

    @staticmethod
    def _families() -> tuple[Metric, ...]:
        return (
            GaugeMetricFamily(
                "bubble_scheduler_lateness_seconds",
                "How late scheduled runs due in the last hour started (started minus due).",
                labels=["quantile"],
            ),
            GaugeMetricFamily(
                "bubble_scheduler_queue_depth",
                "Scheduled runs due and not started: waiting to be dispatched, or queued.",
            ),
            GaugeMetricFamily(
                "bubble_scheduler_due_next_hour", "Scheduled runs due in the next hour."
            ),
            GaugeMetricFamily(
                "bubble_scheduled_runs",
                "Scheduled runs not ended, by status.",
                labels=["status"],
            ),
            GaugeMetricFamily(
                "bubble_scheduled_runs_last_24h",
                "Scheduled runs due in the last 24 hours that ended, by status.",
                labels=["status"],
            ),
        )
