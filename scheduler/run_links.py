"""Links from a run in the Runs log to the scheduler: what it scheduled, what it executed."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from workflows.admin.display import admin_link
from workflows.models import Run

from .models import ScheduledRun

SHOWN = 20


def _link(row: ScheduledRun) -> Any:
    text = str(row)
    try:
        return admin_link(row, text)
    except NoReverseMatch:  # the Scheduler admin is not installed
        return text


def scheduler_links(run: Run) -> Any:
    """HTML: the scheduled run this run executed, and the runs it scheduled (first few)."""
    parts = []
    executed = ScheduledRun.objects.select_related("workflow").filter(run=run).first()
    if executed is not None:
        parts.append(format_html("executed scheduled run {}", _link(executed)))
    created = ScheduledRun.objects.select_related("workflow").filter(scheduled_by=run)
    rows = list(created.order_by("due_at")[: SHOWN + 1])
    if rows:
        more = ""
        if len(rows) > SHOWN:
            try:
                url = reverse("admin:scheduler_scheduledrun_changelist")
                more = format_html(
                    ' <a href="{}?scheduled_by__id__exact={}">and more</a>', url, run.pk
                )
            except NoReverseMatch:
                more = " and more"
        parts.append(
            format_html(
                "scheduled {}{}",
                format_html_join(", ", "{}", ((_link(r),) for r in rows[:SHOWN])),
                more,
            )
        )
    if not parts:
        return None
    return format_html_join(mark_safe("<br>"), "{}", ((p,) for p in parts))  # noqa: S308
