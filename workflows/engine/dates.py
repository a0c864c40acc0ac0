"""Dates written as text the way Bubble's callers write them, beside ISO 8601.

Bubble reads a date sent to its API in JavaScript's ways, so its callers send
``Wed Jan 13 2016``, ``01/13/2016``, ``Jan 13, 2016 10:30 am`` or a browser's
``Date.toString()`` (``Wed Jan 13 2016 10:30:00 GMT+0100 (Central European Standard
Time)``). ``read_date_text`` takes exactly those shapes (see docs/workflow-format.md,
"Parameter types") and nothing else:

- The whole text must match one pattern below first; dateutil's parser is then given only
  that text, never fuzzy, month first (US order, as Bubble), so it can neither skip a word
  nor fill a missing day, month or year from today ("2016", "Jan 2016" and "yesterday" are
  refused). ``13/01/2016`` is refused too: dateutil would quietly read it day first.
- The zone is read here, not by dateutil: dateutil reads ``GMT+0100`` the POSIX way, one
  hour *behind* GMT, the opposite of what JavaScript wrote.
- The year is the four digits written (dateutil would read ``0099`` as 1999).
- A weekday that is given must be the date's.

The caller (``param_types._date``) decides what a value without a zone means and checks the
range, exactly as for ISO 8601 text.
"""

from __future__ import annotations

import datetime
import re

from dateutil import parser as dateutil_parser

#: shown in errors and in the OpenAPI description of every date parameter
TEXT_EXAMPLES = "'Jan 13, 2016', '01/13/2016 10:30 am' or 'Wed Jan 13 2016 10:30:00 GMT+0100'"

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = (
    r"(?P<weekday>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?,?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?P<date>\d{1,2}/\d{1,2}/\d{4}"  # 01/13/2016: month/day/year, as Bubble
    rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}}"  # Jan 13 2016, January 13, 2016
    rf"|{_DAY}\s+{_MONTH},?\s+\d{{4}})"  # 13 Jan 2016
)
_ZONE = r"(?P<zone>z|utc|gmt|(?:utc|gmt)?\s*[+-]\d{2}:?\d{2})(?:\s+\([^()]{1,64}\))?"
_TIME = (
    r"(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    rf"(?:\s*{_ZONE})?"
)
_TEXT = re.compile(
    rf"^(?:{_WEEKDAY}\s+)?{_DATE}(?:,?\s+(?:at\s+)?{_TIME})?$",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})$")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DateTextError(ValueError):
    """Text in one of the forms whose date or time does not exist (Feb 30, 25:00, a
    weekday that is not the date's)."""


def read_date_text(text: str) -> datetime.datetime | None:
    """The moment ``text`` writes in one of Bubble's text forms: naive when it names no
    zone, else aware. None when ``text`` is not in those forms; ``DateTextError`` when it
    is but names a day or time that does not exist."""
    match = _TEXT.match(text.strip())
    if match is None:
        return None
    core = match["date"].replace(",", " ")
    if "/" in core and not 1 <= int(core.split("/")[0]) <= 12:  # dateutil would swap them
        raise DateTextError("month must be in 1..12 (month/day/year, as Bubble)")
    if match["time"]:
        core += f" {match['time']}"
        if match["ampm"]:
            hour = int(match["time"].split(":")[0])
            if not 1 <= hour <= 12:
                raise DateTextError(f"hour {hour} with am/pm: it must be from 1 to 12")
            core += f" {match['ampm']}m"
    try:
        moment = dateutil_parser.parse(core, dayfirst=False, yearfirst=False, fuzzy=False)
    except (ValueError, OverflowError) as exc:  # dateutil's "%s" is the text: said already
        raise DateTextError(str(exc.args[0] if exc.args else exc).removesuffix(": %s")) from None
    year = int(match["date"][-4:])  # every form ends with its four-digit year
    if moment.year != year:  # dateutil moves "0099" to 1999 and "0000" to 2000
        try:
            moment = moment.replace(year=year)
        except ValueError:
            raise DateTextError(f"{match['date']} is not a day of the year {year}") from None
    if match["weekday"]:
        named = next(d for d in _DAY_NAMES if d[:3].lower() == match["weekday"][:3].lower())
        actual = _DAY_NAMES[moment.weekday()]
        if named != actual:
            raise DateTextError(f"{moment.date().isoformat()} is a {actual}, not a {named}")
    if match["zone"]:
        moment = moment.replace(tzinfo=_zone(match["zone"]))
    return moment


def _zone(text: str) -> datetime.tzinfo:
    offset = _OFFSET.search(text.strip())
    if offset is None:  # Z, UTC, GMT
        return datetime.timezone.utc
    sign, hours, minutes = offset.groups()
    if int(hours) > 23 or int(minutes) > 59:
        raise DateTextError(f"{text.strip()!r} is not a time zone offset")
    delta = datetime.timedelta(hours=int(hours), minutes=int(minutes))
    return datetime.timezone(-delta if sign == "-" else delta)
