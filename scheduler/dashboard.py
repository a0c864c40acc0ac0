"""The scheduler's panel of the runs dashboard (``workflows.stats.dashboard.PANELS``): what
is paused, the queue, what is due in the next hour, how late runs started in the period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from workflows.stats.dashboard import Period, seconds_text

from . import figures
from .models import Status
from .paused import pauses_for

#: the dashboard's counts of waiting and due runs stop here ("10,000 or more")
CAP = 10_000


def scheduler_panel(request: HttpRequest, period: Period) -> dict[str, Any] | None:
    """The panel, for users who may view scheduled runs."""
    if not request.user.has_perm("scheduler.view_scheduledrun"):
        return None
    now = period.now
    late = figures.lateness(period.since, now)
    pending = figures.pending_counts((Status.QUEUED, Status.RUNNING))
    waiting = figures.waiting(now, cap=CAP)
    return {
        "template": "admin/scheduler/dashboard_panel.html",
        "pauses": figures.pauses(pauses_for(request)),  # read once, with the banner
        "waiting": min(waiting, CAP),
        "waiting_capped": waiting > CAP,
        "queued": pending[Status.QUEUED],
        "running": pending[Status.RUNNING],
        "due": figures.due_between(now, now + timedelta(hours=1), cap=CAP),
        "lateness": late,
        "late_p50": seconds_text(late.p50) if late else "–",
        "late_p95": seconds_text(late.p95) if late else "–",
        "missed": figures.ended_since(period.since, now, (Status.MISSED,))[Status.MISSED],
        "url": _url("admin:scheduler_scheduledrun_changelist"),
    }


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
