"""The collectors of ``/metrics`` this package provides (``metrics.COLLECTORS`` lists them):
this process, and whether the execution side is alive.

Each scrape reads the database afresh, a few indexed queries: the numbers are the same
whichever web process answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from scheduler import conf as scheduler_conf
from scheduler.models import Pause, ScheduledRun, SchedulerProcess, Status


def process() -> ProcessCollector:
    """``process_*``: CPU, memory, open files of the process that answers the scrape (one
    web worker of several)."""
    return ProcessCollector(registry=None)


def platform() -> PlatformCollector:
    """``python_info``: the Python that runs it."""
    return PlatformCollector(registry=None)


def garbage_collection() -> GCCollector:
    """``python_gc_*``: the garbage collector of the process that answers."""
    return GCCollector(registry=CollectorRegistry())  # it registers itself: a throwaway


class BuildCollector:
    """``bubble_build_info{version}``: which release answers."""

    def collect(self) -> Iterator[Metric]:
        try:
            version = metadata.version("bubble-backend")
        except metadata.PackageNotFoundError:  # run from a checkout, not installed
            version = "unknown"
        yield InfoMetricFamily(
            "bubble_build", "The release of bubble-backend.", {"version": version}
        )


class SchedulerCollector:
    """Whether runs will be dispatched and executed (scheduler/processes.py).

    Each ``run_scheduler`` with its own cluster writes its heartbeat every
    ``REAP_INTERVAL`` from its dispatcher loop, which stops when its django-q2 cluster dies:
    a fresh heartbeat means both its dispatcher and its cluster are running. A dispatcher
    without a cluster (``--no-cluster``) registers no heartbeat; what shows that dispatching
    has stopped, whoever does it, is the age of the oldest due run still waiting.
    """

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        timeout = scheduler_conf.get("HEARTBEAT_TIMEOUT")
        states = GaugeMetricFamily(
            "bubble_scheduler_processes",
            "Registered run_scheduler processes: alive (heartbeat within HEARTBEAT_TIMEOUT) "
            "or stale (taken for dead; taken back by the next live scheduler).",
            labels=["state"],
        )
        ages = GaugeMetricFamily(
            "bubble_scheduler_heartbeat_age_seconds",
            "Seconds since each registered run_scheduler wrote its heartbeat.",
            labels=["process", "host", "pid"],
        )
        alive = stale = 0
        for pk, host, pid, beat_at in SchedulerProcess.objects.values_list(
            "pk", "host", "pid", "beat_at"
        ).order_by():
            age = max(0.0, (now - beat_at).total_seconds())
            ages.add_metric([str(pk), host, str(pid)], age)
            if age <= timeout:
                alive += 1
            else:
                stale += 1
        states.add_metric(["alive"], alive)
        states.add_metric(["stale"], stale)
        yield states
        yield ages
        yield GaugeMetricFamily(
            "bubble_scheduler_heartbeat_timeout_seconds",
            "HEARTBEAT_TIMEOUT: a heartbeat older than this is taken for a dead scheduler.",
            value=timeout,
        )
        oldest = (
            ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )
        yield GaugeMetricFamily(
            "bubble_scheduler_oldest_due_age_seconds",
            "Seconds the oldest due scheduled run has waited to be dispatched (0: none "
            "waits). It grows while no dispatcher runs, and while paused.",
            value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )
        keys = list(Pause.objects.values_list("key", flat=True))
        yield GaugeMetricFamily(
            "bubble_scheduler_paused",
            "1 while the whole scheduler is paused (nothing is dispatched), else 0.",
            value=1 if Pause.key_for(None) in keys else 0,
        )
        yield GaugeMetricFamily(
            "bubble_scheduler_paused_workflows",
            "Workflows paused one by one (their due runs wait).",
            value=sum(1 for key in keys if key != Pause.key_for(None)),
        )
