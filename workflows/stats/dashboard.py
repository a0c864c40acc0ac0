"""The dashboard on the admin's index: the last 24 hours or 7 days of runs at a glance.

``dashboard_context(request)`` gives the index's context its ``dashboard`` (rendered by
admin/dashboard.html), or nothing for a user who may not view runs. Every figure comes from
the run statistics (``read.window``: closed hours plus the runs since), never from the
whole run log. Other apps add panels (``PANELS``): the scheduler's says what is paused,
waiting and due, and how late runs start (scheduler/dashboard.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..choices import RunStatus
from ..models import Run, Workflow
from . import chart, read
from .rollup import EPOCH, HOUR, floor_hour

#: the query parameter choosing the period
PARAM = "dashboard"
#: key -> (label, hours)
PERIODS: dict[str, tuple[str, int]] = {"24h": ("Last 24 hours", 24), "7d": ("Last 7 days", 168)}
DEFAULT_PERIOD = "24h"
TOP_FAILING = 10
DURATIONS_SHOWN = 15
#: the statistics are said to be behind when the watermark is older than this
BEHIND = timedelta(hours=3)


@dataclass(frozen=True)
class Period:
    """The hours shown: the current one and those before, ``hours`` in all."""

    key: str
    label: str
    hours: int
    now: datetime

    @property
    def since(self) -> datetime:
        return floor_hour(self.now) - (self.hours - 1) * HOUR

    @property
    def slots(self) -> list[datetime]:
        return [self.since + i * HOUR for i in range(self.hours)]


#: panels other apps add: ``provider(request, period)`` -> a dict with the ``template``
#: that renders it (given as ``panel``), or None to show nothing to this user
PANELS: list[Callable[[HttpRequest, Period], dict[str, Any] | None]] = []


def period_of(request: HttpRequest, now: datetime) -> Period:
    """The period the request asks for (``?dashboard=7d``); an unknown one is the default."""
    key = request.GET.get(PARAM, DEFAULT_PERIOD)
    if key not in PERIODS:
        key = DEFAULT_PERIOD
    label, hours = PERIODS[key]
    return Period(key, label, hours, now)


def runs_dashboard(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard the admin's index shows (``admin_site.DASHBOARDS``), or None."""
    return dashboard_context(request).get("dashboard")


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """``{"dashboard": ...}`` for the admin's index, or ``{}`` if the user may not view
    runs (their errors may hold data)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.has_perm("workflows.view_run"):
        return {}
    now = timezone.now()
    period = period_of(request, now)
    window = read.window(period.since)
    rows = chart.slot_rows(period.slots, window.hours)
    by_status = window.by_status()
    summary = chart.summary(rows)
    finished = sum(by_status.values())
    failed = by_status.get(RunStatus.FAILED, 0)
    ids = dict(Workflow.objects.filter(name__in=list(window.workflows)).values_list("name", "pk"))
    return {
        "dashboard": {
            "period": period,
            "periods": [
                {"key": key, "label": label, "url": "?" + urlencode({PARAM: key})}
                for key, (label, _) in PERIODS.items()
            ],
            "finished": finished,
            "succeeded": by_status.get(RunStatus.SUCCEEDED, 0),
            "failed": failed,
            "condition_not_met": by_status.get(RunStatus.CONDITION_NOT_MET, 0),
            "failed_share": _share(failed, finished),
            "running": Run.objects.filter(status=RunStatus.RUNNING).count(),
            "series": chart.SERIES,
            "svg": chart.svg(chart.hourly_bars(rows), summary),
            "summary": summary,
            "rows": rows,
            "failing": _failing(window, period, ids),
            "durations": _durations(window, ids),
            "more_durations": max(len(window.workflows) - DURATIONS_SHOWN, 0),
            "closed_until": window.closed_until,
            "never_rolled_up": window.closed_until == EPOCH,
            "behind": _behind(window.closed_until, now),
            "panels": [panel for provider in PANELS if (panel := provider(request, period))],
        }
    }


def _behind(closed_until: datetime, now: datetime) -> bool:
    """Whether runs that finished more than ``BEHIND`` ago are not rolled up yet (the
    scheduler's housekeeping is not running): one probe of the index on ``finished_at``."""
    return Run.objects.filter(finished_at__gte=closed_until, finished_at__lt=now - BEHIND).exists()


def _failing(window: read.Window, period: Period, ids: dict[str, int]) -> list[dict[str, Any]]:
    """The workflows with the most failed runs, each with its last error."""
    failing = sorted(
        (figures for figures in window.workflows.values() if figures.failed),
        key=lambda figures: (-figures.failed, figures.name),
    )[:TOP_FAILING]
    last = read.last_failures([f.name for f in failing], period.since, window.closed_until)
    return [
        {
            "name": figures.name,
            "url": _runs_url(ids.get(figures.name), status=RunStatus.FAILED),
            "failed": figures.failed,
            "runs": figures.counts.count,
            "share": _share(figures.failed, figures.counts.count),
            "last": last.get(figures.name),
            "last_url": _run_url(last[figures.name].run_id) if figures.name in last else None,
        }
        for figures in failing
    ]


def _durations(window: read.Window, ids: dict[str, int]) -> list[dict[str, Any]]:
    """Each workflow's estimated p50 and p95 duration, slowest p95 first."""
    timed = [figures for figures in window.workflows.values() if figures.counts.timed]
    timed.sort(key=lambda figures: (-(figures.counts.quantile(0.95) or 0), figures.name))
    return [
        {
            "name": figures.name,
            "url": _runs_url(ids.get(figures.name)),
            "runs": figures.counts.count,
            "p50": seconds_text(figures.counts.quantile(0.5)),
            "p95": seconds_text(figures.counts.quantile(0.95)),
            "mean": seconds_text(figures.counts.mean_s),
        }
        for figures in timed[:DURATIONS_SHOWN]
    ]


def seconds_text(seconds: float | None) -> str:
    """A duration as people read it: 3.2 ms, 1.4 s, 2 min 5 s; "≥ 1 h" past the last
    bucket."""
    if seconds is None:
        return "–"
    if seconds >= 3600:
        return "≥ 1 h"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _runs_url(workflow_id: int | None, **filters: str) -> str | None:
    """The Runs list of one workflow (None for a workflow deleted since)."""
    if workflow_id is None:
        return None
    try:
        url = reverse("admin:workflows_run_changelist")
    except NoReverseMatch:
        return None
    query = {"workflow__id__exact": workflow_id, **{f"{k}__exact": v for k, v in filters.items()}}
    return f"{url}?{urlencode(query)}"


def _run_url(run_id: Any) -> str | None:
    try:
        return reverse("admin:workflows_run_change", args=[run_id])
    except NoReverseMatch:
        return None
