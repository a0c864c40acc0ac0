"""Days, weeks, months and years added to a date on the calendar of the run's time zone.

``now + days(1)`` in a workflow whose ``time_zone`` is Europe/Paris is the same time
tomorrow in Paris: 23 or 25 hours away when the clocks change in between, as in Bubble's
``+(days)``. ``hours(24)`` stays 24 hours. ``days()`` and ``weeks()`` therefore return a
``CalendarDays`` (a ``timedelta`` that remembers it counts days), ``months()`` and
``years()`` a ``Months``; the sandbox's ``+`` and ``-`` call ``shift`` when one side is a
date. Anywhere else a ``CalendarDays`` is the plain duration it is (``days(1).days``,
``days(1) > hours(3)``); a sum of durations is a plain duration, counted in hours.

The zone is the one Django has active (the runner activates the workflow's
``time_zone``; outside a run, ``TIME_ZONE``). A wall-clock time the clocks skip (02:30 on
the spring change) lands an hour later, and one they repeat takes its first occurrence,
as zoneinfo and JavaScript's dates both do.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.utils import timezone

#: the longest step, as for every other duration (days(…) refuses more than 200 years)
MAX_MONTHS = 12 * 200


class CalendarDays(datetime.timedelta):
    """A duration made by ``days()`` or ``weeks()``: its whole days move a date's calendar
    day, the rest (``days(1.5)``'s 12 hours) is added as time. Negated or multiplied by a
    number it stays one (``-days(1)``, ``days(1) * 2``)."""

    __slots__ = ()

    def plain(self) -> datetime.timedelta:
        """The same duration as a plain ``timedelta`` (its own operators give those)."""
        return datetime.timedelta(self.days, self.seconds, self.microseconds)

    def __neg__(self) -> CalendarDays:
        return _calendar(-self.plain())

    def __pos__(self) -> CalendarDays:
        return self

    def __mul__(self, other: Any) -> Any:
        product = self.plain() * other
        return _calendar(product) if isinstance(product, datetime.timedelta) else product

    __rmul__ = __mul__


def _calendar(delta: datetime.timedelta) -> CalendarDays:
    return CalendarDays(delta.days, delta.seconds, delta.microseconds)


_DAY = datetime.timedelta(days=1)


def _whole_days(delta: datetime.timedelta) -> tuple[int, datetime.timedelta]:
    """``delta`` as whole days and the rest, both of its sign: -1.5 days is -1 day and -12
    hours (timedelta itself says -2 days and +12 hours)."""
    whole = abs(delta) // _DAY
    whole = whole if delta >= datetime.timedelta(0) else -whole
    return whole, delta - whole * _DAY


@dataclass(frozen=True)
class Months:
    """A number of calendar months (``months(3)``, ``years(1)`` is 12): only added to or
    subtracted from a date, where Jan 31 + 1 month is the last day of February."""

    count: int

    def __neg__(self) -> Months:
        return Months(-self.count)

    def __pos__(self) -> Months:
        return self

    def __add__(self, other: Any) -> Months:
        if isinstance(other, Months):
            return Months(self.count + other.count)
        return NotImplemented

    def __sub__(self, other: Any) -> Months:
        if isinstance(other, Months):
            return Months(self.count - other.count)
        return NotImplemented

    def __str__(self) -> str:
        return f"{self.count} month{'' if abs(self.count) == 1 else 's'}"


def is_calendar_step(value: Any) -> bool:
    return isinstance(value, CalendarDays | Months)


def shift(moment: datetime.date, step: CalendarDays | Months, sign: int = 1) -> datetime.date:
    """``moment`` plus (``sign`` 1) or minus (-1) ``step``, days and months counted on the
    active zone's calendar; the result is in ``moment``'s own zone."""
    if not isinstance(moment, datetime.datetime):  # a calendar date: as Python does
        if isinstance(step, Months):
            return moment + relativedelta(months=sign * step.count)
        return moment + step.plain() if sign > 0 else moment - step.plain()
    if isinstance(step, Months):
        calendar_part, rest = relativedelta(months=sign * step.count), datetime.timedelta(0)
        moved = step.count != 0
    else:
        days, rest = _whole_days(sign * step.plain())
        calendar_part, moved = relativedelta(days=days), days != 0
    if not moved:  # no day to move: the moment itself (which of a repeated hour's two it is)
        return moment + rest
    if moment.tzinfo is None:  # a naive date is already wall-clock time
        return moment + calendar_part + rest
    zone = timezone.get_current_timezone()
    wall = moment.astimezone(zone).replace(tzinfo=None) + calendar_part
    return wall.replace(tzinfo=zone).astimezone(moment.tzinfo) + rest
