"""Keeping a recurring event going: its next occurrence, and how its runs have been doing."""

from __future__ import annotations

import datetime

from django.db.models import F

from .models import CANCELLABLE, RecurringEvent, ScheduledRun, Status
from .services import schedule_next_occurrence


def continue_after(row: ScheduledRun, now: datetime.datetime) -> ScheduledRun | None:
    """Schedule the occurrence after ``row`` unless the event has ended or one is pending.

    Called when an occurrence starts (so the next one is visible while it runs) and when one
    is missed or given up; run inside the caller's transaction.
    """
    # the event's row alone: its ordering would join its workflow, which may be gone
    events = RecurringEvent.objects.select_for_update(of=("self",)).order_by()
    event = events.filter(pk=row.recurring_id).first()
    if event is None or not event.active:
        return None
    if event.occurrences.filter(status__in=CANCELLABLE).exclude(pk=row.pk).exists():
        return None
    return schedule_next_occurrence(event, after=row.due_at, now=now)


def record_outcome(event_id: int | None, status: str, now: datetime.datetime) -> None:
    """Count consecutive failures, so a recurring event that keeps failing shows as such."""
    if event_id is None:
        return
    events = RecurringEvent.objects.filter(pk=event_id)
    if status == Status.SUCCEEDED:
        events.update(
            consecutive_failures=0,
            last_status=status,
            last_run_at=now,
            occurrences_run=F("occurrences_run") + 1,
        )
    else:
        events.update(
            consecutive_failures=F("consecutive_failures") + 1,
            last_status=status,
            last_run_at=now,
            occurrences_run=F("occurrences_run") + (1 if status == Status.FAILED else 0),
        )
