"""Durations as operators write them in settings and on the command line: ``90s``, ``15m``,
``12h``, ``30d``, ``8w`` (docs/operations.md). Retention settings also take ``forever``."""

from __future__ import annotations

import datetime
import re
from typing import Any

UNITS = {
    "s": datetime.timedelta(seconds=1),
    "m": datetime.timedelta(minutes=1),
    "h": datetime.timedelta(hours=1),
    "d": datetime.timedelta(days=1),
    "w": datetime.timedelta(weeks=1),
}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$", re.IGNORECASE)
FORMS = "a whole number and a unit: 90s, 15m, 12h, 30d or 8w"
#: what a retention setting says to keep everything
FOREVER = "forever"


def parse_duration(value: Any, name: str) -> datetime.timedelta:
    """``value`` (``"30d"``; a number is seconds) as a duration of at least a second;
    ``ValueError`` naming ``name`` (the setting or option) otherwise."""
    if isinstance(value, datetime.timedelta):
        duration = value
    elif isinstance(value, int) and not isinstance(value, bool):
        duration = datetime.timedelta(seconds=value)
    else:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"{name}: {value!r} is not a duration; write {FORMS}")
        duration = int(match[1]) * UNITS[match[2].lower()]
    if duration < UNITS["s"]:
        raise ValueError(f"{name}: {value!r} is too short; at least 1s")
    return duration


def parse_retention(value: Any, name: str) -> datetime.timedelta | None:
    """A retention setting: a duration, or None for ``forever`` (or empty): kept for ever."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", FOREVER)):
        return None
    return parse_duration(value, name)


def describe(duration: datetime.timedelta) -> str:
    """``duration`` in its largest whole unit: ``30 days``, ``15 minutes``, ``90 seconds``."""
    seconds = int(duration.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
