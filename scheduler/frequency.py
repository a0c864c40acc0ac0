"""Recurrence: a cron expression, "every N units" or Bubble's words, and its N-th occurrence.

Bubble's words (``daily``, ``weekly``, ``monthly``, ``quarterly``, ``yearly``) are read as
every 1 day, week, month, quarter or year, and kept that way (``Frequency`` has no word), so
a recurring event and its admin page show ``every 1 day`` however it was written.

Occurrence N is computed from the start, never from the previous run, so lateness does not
accumulate (no drift): every N minutes/hours/days/weeks is ``start + N × period``; months,
quarters and years step by calendar months from the start (dateutil's ``relativedelta``,
so "every month" from Jan 31 gives Feb 28, Mar 31...); cron occurrences come from croniter,
evaluated in the project's time zone.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from croniter import croniter
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from workflows.engine.functions import is_time_zone, not_a_time_zone
from workflows.engine.params import ParamSpec, coerce_params, parse_date

UNITS = ("minute", "hour", "day", "week", "month", "quarter", "year")
_EVERY = re.compile(r"^\s*(?:every\s+)?(\d+)?\s*(" + "|".join(UNITS) + r")s?\s*$", re.I)
_FIXED = {
    "minute": datetime.timedelta(minutes=1),
    "hour": datetime.timedelta(hours=1),
    "day": datetime.timedelta(days=1),
    "week": datetime.timedelta(weeks=1),
}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: Bubble's frequencies, as the unit of "every 1 <unit>"
WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}
_FORMS = (
    f"a word ({', '.join(WORDS)}), 'every N units' ({', '.join(UNITS)}) "
    "or a five-field cron expression ('0 3 * * *': minute hour day month weekday)"
)
_TICK = datetime.timedelta(microseconds=1)


@dataclass(frozen=True)
class Frequency:
    """Either ``cron`` or ``count`` × ``unit``, in ``time_zone`` (an IANA name; "": the
    project's TIME_ZONE for cron, and absolute steps for the others, as before zones)."""

    cron: str = ""
    count: int = 0
    unit: str = ""
    time_zone: str = ""

    def __str__(self) -> str:
        text = (
            f"cron {self.cron}"
            if self.cron
            else f"every {self.count} {self.unit}{'s' if self.count != 1 else ''}"
        )
        return f"{text} ({self.time_zone})" if self.time_zone else text

    def as_json(self) -> dict[str, Any]:
        made: dict[str, Any] = (
            {"cron": self.cron} if self.cron else {"every": f"{self.count} {self.unit}"}
        )
        if self.time_zone:
            made["time_zone"] = self.time_zone
        return made

    def _zone(self) -> zoneinfo.ZoneInfo | None:
        return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone else None

    def first_at_or_after(
        self, start: datetime.datetime, moment: datetime.datetime
    ) -> datetime.datetime:
        """The first due time at or after ``moment`` (and ``start``).

        For every-N schedules that is ``start + k × period`` for the smallest such k, so
        occurrences stay on the grid laid by ``start`` however late the previous one ran.
        """
        moment = max(moment, start)
        zone = self._zone()
        if self.cron:
            local = timezone.localtime(moment, zone)
            return croniter(self.cron, local - _TICK).get_next(datetime.datetime)
        if zone is not None and self.unit not in ("minute", "hour"):
            return self._on_the_wall(start, moment, zone)
        if self.unit in _FIXED:
            period = _FIXED[self.unit] * self.count
            k = -(-(moment - start) // period)  # ceiling division of timedeltas
            return start + period * k
        months = _MONTHS[self.unit] * self.count
        delta = relativedelta(moment, start)
        k = max(0, (delta.years * 12 + delta.months) // months)
        while start + relativedelta(months=months * k) < moment:
            k += 1
        return start + relativedelta(months=months * k)

    def _on_the_wall(
        self, start: datetime.datetime, moment: datetime.datetime, zone: zoneinfo.ZoneInfo
    ) -> datetime.datetime:
        """Days, weeks and months counted on the zone's clock: every day at 09:00 Paris time
        stays at 09:00 across daylight saving (23- and 25-hour days)."""
        wall = start.astimezone(zone).replace(tzinfo=None)

        def at(k: int) -> datetime.datetime:
            if self.unit in _FIXED:
                local = wall + _FIXED[self.unit] * self.count * k
            else:
                local = wall + relativedelta(months=_MONTHS[self.unit] * self.count * k)
            return local.replace(tzinfo=zone)

        if self.unit in _FIXED:
            k = max(0, (moment - start) // (_FIXED[self.unit] * self.count) - 1)
        else:
            months = _MONTHS[self.unit] * self.count
            delta = relativedelta(moment.astimezone(zone).replace(tzinfo=None), wall)
            k = max(0, (delta.years * 12 + delta.months) // months - 1)
        while at(k) < moment:
            k += 1
        return at(k)

    def first_after(self, start: datetime.datetime, moment: datetime.datetime) -> datetime.datetime:
        """The first due time strictly after ``moment``."""
        return self.first_at_or_after(start, moment + _TICK)


def parse_frequency(value: Any, *, time_zone: str = "") -> Frequency:
    """``"0 3 * * *"``, ``"every 2 weeks"``, ``"1 day"``, ``"daily"``, ``{"cron": ...}`` or
    ``{"every": ...}`` (which takes a word too: ``{"every": "weekly"}``), in the mapping's
    ``time_zone``, else ``time_zone`` (an IANA name; "": the project's).

    Raises ``ValueError`` saying what is wrong.
    """
    if isinstance(value, dict) and value.get("time_zone"):
        time_zone = value["time_zone"]
        value = {k: v for k, v in value.items() if k != "time_zone"}
    frequency = _parse(value)
    if not time_zone or frequency.time_zone:
        return frequency
    if not is_time_zone(time_zone):
        raise ValueError(not_a_time_zone(time_zone))
    return replace(frequency, time_zone=time_zone)


def _parse(value: Any) -> Frequency:
    if isinstance(value, Frequency):
        return value
    if isinstance(value, dict):
        if "cron" in value:
            value = value["cron"]
            if not isinstance(value, str):
                raise ValueError("cron must be text such as '0 3 * * *'")
            word = value.strip().lower()
            if word in WORDS:
                raise ValueError(f"{word!r} is not a cron expression: write every: {word}")
            return _cron(value)
        if "every" in value:
            value = value["every"]
        else:
            raise ValueError("a frequency is {cron: '...'} or {every: 'N units' or a word}")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a frequency is {_FORMS}")
    word = WORDS.get(value.strip().lower())
    if word:
        return Frequency(count=1, unit=word)
    match = _EVERY.match(value)
    if match:
        count = int(match.group(1) or 1)
        if not 1 <= count <= 10_000:
            raise ValueError("every N units: N must be from 1 to 10000")
        return Frequency(count=count, unit=match.group(2).lower())
    return _cron(value)


def _cron(text: str) -> Frequency:
    text = " ".join(text.split())
    if len(text.split(" ")) != 5 or not croniter.is_valid(text):
        raise ValueError(
            f"{text!r} is not a frequency: it is neither a word ({', '.join(WORDS)}), "
            f"'every N units' ({', '.join(UNITS)}) nor a valid five-field cron expression "
            "(minute hour day month weekday)"
        )
    try:
        croniter(text, timezone.now(), max_years_between_matches=50).get_next(datetime.datetime)
    except Exception as exc:  # croniter raises its own CroniterBadDateError and others
        raise ValueError(f"cron {text!r} never fires: {exc}") from None
    return Frequency(cron=text)


def parse_moment(value: Any, name: str) -> datetime.datetime | None:
    """An optional moment (schedule start and end), in any form a date parameter takes."""
    if value in (None, ""):
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def validate_schedule(schedule: Any, parameters: Sequence[ParamSpec] = ()) -> None:
    """A workflow's ``schedule`` key: ``{cron | every, start?, end?, params?}``.

    Its ``params`` are coerced against the workflow's parameters, so a schedule that could
    never run is refused when the workflow is saved.
    """
    if not isinstance(schedule, dict):
        raise ValueError("schedule must be a mapping such as {cron: '0 3 * * *'}")
    unknown = set(schedule) - {"cron", "every", "start", "end", "params"}
    if unknown:
        raise ValueError(
            f"unknown schedule key(s) {', '.join(sorted(unknown))} "
            "(keys: cron or every, start, end, params)"
        )
    if ("cron" in schedule) == ("every" in schedule):
        raise ValueError("a schedule has exactly one of cron and every")
    parse_frequency(schedule)
    start = parse_moment(schedule.get("start"), "start")
    end = parse_moment(schedule.get("end"), "end")
    if start and end and end <= start:
        raise ValueError("end must be after start")
    params = schedule.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError("params must be a mapping of parameter names to values")
    unknown = set(params) - {p.key for p in parameters}
    if unknown:
        raise ValueError(f"params: the workflow has no parameter {sorted(unknown)[0]!r}")
    coerce_params(parameters, params)


def next_occurrences(
    schedule: dict[str, Any], now: datetime.datetime, count: int
) -> list[datetime.datetime]:
    """The next ``count`` times a workflow's ``schedule`` fires after ``now`` (the editor
    shows them as the builder types); fewer when its ``end`` comes first."""
    frequency = parse_frequency(schedule)
    start = parse_moment(schedule.get("start"), "start") or now
    end = parse_moment(schedule.get("end"), "end")
    moments: list[datetime.datetime] = []
    moment = frequency.first_at_or_after(start, now)
    while len(moments) < count and (end is None or moment <= end):
        moments.append(moment)
        moment = frequency.first_after(start, moment)
    return moments
