"""A moment as the Scheduler shows it: on the server's clock, and on the clock of the time
zone a run or event runs in beside it (docs/scheduler.md, "Time zones")."""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import timezone

from workflows.engine.functions import is_time_zone

from .models import ScheduledRun


def with_zone_time(moment: datetime.datetime, shown: str, zone: str) -> str:
    """``moment`` on the server's clock, then on ``zone``'s (an IANA name) when it has one
    and it reads otherwise: ``2026-03-29 09:00 (11:00 Asia/Dubai)``."""
    here, there = zone_time_parts(moment, shown, zone)
    return f"{here} ({there})" if there else here


def zone_time_parts(moment: datetime.datetime, shown: str, zone: str) -> tuple[str, str]:
    """``moment`` on the server's clock, and on ``zone``'s ("" when it reads the same):
    ``("2026-03-29 09:00", "11:00 Asia/Dubai")``, the day too when it is another there."""
    here = timezone.localtime(moment)
    if not zone or not is_time_zone(zone):
        return f"{here:{shown}}", ""
    there = timezone.localtime(moment, zoneinfo.ZoneInfo(zone))
    if there.utcoffset() == here.utcoffset():
        return f"{here:{shown}}", ""
    day = "" if there.date() == here.date() else f"{there:%Y-%m-%d} "
    return f"{here:{shown}}", f"{day}{there:%H:%M} {zone}"


def zone_of(row: ScheduledRun) -> str:
    """The zone a scheduled run runs in: its own, else its workflow's ("": the server's)."""
    return row.time_zone or (row.workflow.time_zone if row.workflow is not None else "")
