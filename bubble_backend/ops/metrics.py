"""``/metrics``: Prometheus' text format (OpenMetrics when the scraper asks for it), from
the collectors named in ``COLLECTORS``.

``COLLECTORS`` is the one list of what ``/metrics`` shows: dotted paths to factories (a
``prometheus_client`` custom collector class, or a function returning a collector), each
called once per scrape. Another app adds its numbers by adding its path here, e.g.
``COLLECTORS.append("myapp.metrics.RunCollector")`` in its ``AppConfig.ready`` or in this
list. A collector that fails (its query times out, the database is down) costs its own
numbers only: the scrape still answers, with ``bubble_metrics_collector_up{collector}`` 0
for it and the error in the server log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from . import access

logger = logging.getLogger("bubble_backend.ops")

COLLECTORS: list[str] = [
    "bubble_backend.ops.collectors.process",
    "bubble_backend.ops.collectors.platform",
    "bubble_backend.ops.collectors.garbage_collection",
    "bubble_backend.ops.collectors.BuildCollector",
    "bubble_backend.ops.collectors.SchedulerCollector",
    "scheduler.metrics.SchedulerCollector",
    "workflows.stats.collector.RunStatsCollector",
]


def metrics_view(request: HttpRequest) -> HttpResponse:
    status = access.refusal(request)
    if status is not None:
        return HttpResponse(
            "Not Found\n" if status == access.NOT_CONFIGURED else "Forbidden\n",
            status=status,
            content_type="text/plain; charset=utf-8",
        )
    encode, content_type = choose_encoder(request.META.get("HTTP_ACCEPT", ""))
    registry = CollectorRegistry()
    registry.register(_Collected(collect(COLLECTORS)))
    return HttpResponse(encode(registry), content_type=content_type)


def collect(paths: Iterable[str]) -> list[Metric]:
    """Every metric of the collectors at ``paths``, and whether each one answered. A metric
    name given by two collectors is kept from the first (the second is a mistake, logged)."""
    metrics: list[Metric] = []
    names: set[str] = set()
    up = GaugeMetricFamily(
        "bubble_metrics_collector_up",
        "1 if the collector answered this scrape, 0 if it failed (see the server log).",
        labels=["collector"],
    )
    for path in paths:
        try:
            found = list(import_string(path)().collect())
        except Exception:  # noqa: BLE001 - one broken collector must not hide the others
            logger.exception("/metrics: collector %s failed", path)
            up.add_metric([path], 0)
            continue
        up.add_metric([path], 1)
        for metric in found:
            if metric.name in names:
                logger.error("/metrics: %s repeats the metric %s; left out", path, metric.name)
                continue
            names.add(metric.name)
            metrics.append(metric)
    return [*metrics, up]


class _Collected:
    """Metrics already collected, as a collector (one scrape's registry holds it)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)
