"""The expression functions and filters builders may call, each registered by name.

Only what is registered here is callable from an expression (besides a short allowlist
of methods on strings, lists, dicts and dates kept in ``sandbox.py``). A function that
needs the running workflow (``search``) is registered with ``needs_context=True`` and is
bound to the run when the scope is built.
"""

from __future__ import annotations

import datetime
import functools
import re
import secrets
import string
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from jinja2 import filters as jinja_filters
from jinja2 import pass_context, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined

from .calendar_steps import MAX_MONTHS, CalendarDays, Months
from .limits import SCALARS, allocate, check_deadline, check_weight, materialize, weigh


@dataclass(frozen=True)
class ExpressionFunction:
    name: str
    func: Callable[..., Any]
    needs_context: bool = False
    doc: str = ""


FUNCTIONS: dict[str, ExpressionFunction] = {}
FILTERS: dict[str, Callable[..., Any]] = {}


def expression_function(name: str, *, needs_context: bool = False):
    """Register ``func`` as a global callable in expressions; duplicate names are refused."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in FUNCTIONS:
            raise ValueError(f"expression function {name!r} is already registered")
        FUNCTIONS[name] = ExpressionFunction(
            name, func, needs_context, (func.__doc__ or "").strip()
        )
        return func

    return decorator


#: ``_guarded(empty=PASS)``: the filter itself handles an empty (None) input
PASS = object()
#: what a filter gives for an empty input, where that is not empty itself (Bubble: an
#: empty list's count is 0, an empty value as text is "")
EMPTY_RESULTS: dict[str, Any] = {
    "length": 0,
    "count": 0,
    "wordcount": 0,
    "sum": 0,
    "string": "",
    "join": "",
    "list": [],
    # Jinja's own: empty is 0 (or the default given), the usual "x|int" idiom
    "int": PASS,
    "float": PASS,
    "default": PASS,
    "d": PASS,
    "tojson": PASS,
}


def _guarded(func: Callable[..., Any], empty: Any = None) -> Callable[..., Any]:
    """A filter that checks the deadline and the size of what goes in and comes out.

    Given an empty value (None) it gives ``empty`` without running (``None|upper`` is
    None, ``None|length`` 0), as Bubble lets empty flow through an expression; with
    ``empty=PASS`` the filter gets the None (``default``, ``tojson``).

    Filters such as ``|sort``, ``|upper`` or ``|string`` copy or print their input, so an
    input whose deep size is over the cap (a list holding one big text many times, lazily
    built by ``|map``) is refused before the filter runs, not after it filled memory.

    The wrapper takes Jinja's context: Jinja never calls such a filter while compiling
    (its constant folding would otherwise run filters when a workflow is saved, outside
    any time budget). It hands ``func`` the environment or eval context it asks for.
    """
    wants = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @pass_context
    def wrapper(context: Any, value: Any = None, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if value is None and empty is not PASS:
            return list(empty) if isinstance(empty, list) else empty
        if type(value) is str:
            check_weight(value, "filter input")
        elif type(value) not in SCALARS:
            if isinstance(value, Iterator):
                # still lazy for the filter (``|reverse`` treats lists differently)
                value = iter(materialize(value, "filter input"))
            else:
                check_weight(value, "filter input")
        for argument in (*args, *kwargs.values()) if args or kwargs else ():
            if type(argument) not in SCALARS:
                check_weight(argument, "filter argument")
        if wants is None:
            result = func(value, *args, **kwargs)
        elif wants == "context":
            result = func(context, value, *args, **kwargs)
        elif wants == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        else:
            result = func(context.environment, value, *args, **kwargs)
        if result is value or type(result) in SCALARS:
            return result
        if type(result) is str:
            allocate(len(result), "filter result")
        elif not isinstance(result, Iterator):
            allocate(weigh(result), "filter result")
        return result

    wrapper.__name__ = getattr(func, "__name__", "filter")
    return wrapper


def expression_filter(name: str):
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in FILTERS:
            raise ValueError(f"expression filter {name!r} is already registered")
        FILTERS[name] = _guarded(func, EMPTY_RESULTS.get(name))
        return func

    return decorator


# --- Date arithmetic: now + days(7) -------------------------------------------------------

_MAX_DAYS = 365 * 200


def _duration(
    unit: str, amount: Any, kind: type[datetime.timedelta] = datetime.timedelta
) -> datetime.timedelta | None:
    if amount is None:
        return None  # empty: ``now + days(params.n)`` with n left out is empty
    _check_number(unit, amount)
    delta = kind(**{unit: amount})
    if abs(delta.days) > _MAX_DAYS:
        raise SecurityError(f"{unit}({amount}) is longer than 200 years")
    return delta


def _check_number(name: str, amount: Any) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise TypeError(f"{name}() takes a number, not {type(amount).__name__}")


def _months(name: str, amount: Any, per: int) -> Months | None:
    if amount is None:
        return None
    _check_number(name, amount)
    if amount != int(amount):
        raise TypeError(f"{name}() takes a whole number, not {amount}")
    if abs(amount * per) > MAX_MONTHS:
        raise SecurityError(f"{name}({amount}) is longer than 200 years")
    return Months(int(amount) * per)


@expression_function("seconds")
def seconds(n: float) -> datetime.timedelta | None:
    """A duration of n seconds, to add to or subtract from a date."""
    return _duration("seconds", n)


@expression_function("minutes")
def minutes(n: float) -> datetime.timedelta | None:
    """A duration of n minutes."""
    return _duration("minutes", n)


@expression_function("hours")
def hours(n: float) -> datetime.timedelta | None:
    """A duration of n hours."""
    return _duration("hours", n)


@expression_function("days")
def days(n: float) -> datetime.timedelta | None:
    """n calendar days: ``now + days(7)`` is the same time of day a week later in the run's
    time zone, across daylight saving (see ``calendar_steps``)."""
    return _duration("days", n, CalendarDays)


@expression_function("weeks")
def weeks(n: float) -> datetime.timedelta | None:
    """n calendar weeks, as ``days(7 * n)``."""
    return _duration("weeks", n, CalendarDays)


@expression_function("months")
def months(n: int) -> Months | None:
    """n calendar months, to add to or subtract from a date: Jan 31 + ``months(1)`` is the
    last day of February."""
    return _months("months", n, 1)


@expression_function("years")
def years(n: int) -> Months | None:
    """n calendar years (12 months each): Feb 29 + ``years(1)`` is Feb 28."""
    return _months("years", n, 12)


@expression_function("date")
def to_date(value: Any) -> datetime.datetime | None:
    """A date from ISO 8601 text, epoch milliseconds or Bubble's text forms, as a date
    parameter reads them: ``date('2026-12-24T18:00:00Z')``, ``date('Dec 24, 2026 6:00 pm')``;
    empty for an empty value."""
    from .params import parse_date  # local: params imports this module's siblings

    return None if value is None else parse_date(value)


# --- Random codes (verification codes, tokens) -------------------------------------------

_MAX_RANDOM = 256


def _random(alphabet: str, length: Any) -> str:
    if isinstance(length, bool) or not isinstance(length, int) or not 0 < length <= _MAX_RANDOM:
        raise ValueError(f"length must be a whole number from 1 to {_MAX_RANDOM}")
    return "".join(secrets.choice(alphabet) for _ in range(length))


@expression_function("random_digits")
def random_digits(length: int = 6) -> str:
    """A cryptographically random string of digits: ``random_digits(6)`` → "042917"."""
    return _random(string.digits, length)


@expression_function("random_string")
def random_string(length: int = 16) -> str:
    """A cryptographically random string of letters and digits."""
    return _random(string.ascii_letters + string.digits, length)


@expression_function("is_email")
def is_email(value: Any) -> bool:
    """Whether ``send_email`` would accept ``value`` as its ``to``: an email address, several
    separated by commas, a thing with an email, or a list of those. Check a caller's address
    in ``only_when`` and a bad one is the caller's 400, not a failed run."""
    from ..actions.email import recipients  # actions import the engine: import when used
    from ..exceptions import WorkflowError

    try:
        return bool(recipients(value, "to"))
    except WorkflowError:
        return False


# --- Filters: Jinja's own, where their output cannot outgrow their input ----------------

for _name in (
    "abs",
    "attr",
    "capitalize",
    "count",
    "dictsort",
    "first",
    "float",
    "groupby",
    "int",
    "items",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "select",
    "selectattr",
    "sort",
    "string",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
):
    FILTERS[_name] = _guarded(jinja_filters.FILTERS[_name], EMPTY_RESULTS.get(_name))


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """Jinja's ``default``, which also replaces an empty value (None), as builders expect:
    ``params.note|default('none given')``."""
    if value is None or isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


FILTERS["default"] = FILTERS["d"] = _guarded(_default, PASS)


_MAX_JSON_INDENT = 16


@expression_filter("tojson")
@pass_eval_context
def tojson(eval_ctx: Any, value: Any, indent: int | None = None) -> str:
    """Jinja's ``tojson`` with a small indent: ``indent=10**8`` would print 100 MB per line."""
    if indent is not None and (
        isinstance(indent, bool)
        or not isinstance(indent, int)
        or not 0 <= indent <= _MAX_JSON_INDENT
    ):
        raise SecurityError(f"tojson indent must be a whole number from 0 to {_MAX_JSON_INDENT}")
    return jinja_filters.do_tojson(eval_ctx, value, indent)


@expression_filter("join")
def join(value: Iterable[Any], separator: str = "", attribute: str | None = None) -> str:
    """Jinja's ``join``, refusing results above the size limit before building them."""
    items = list(value)
    if attribute is not None:
        items = [item.get(attribute) if isinstance(item, dict) else item for item in items]
    parts = ["" if item is None else str(item) for item in items]
    allocate(sum(map(len, parts)) + len(str(separator)) * max(len(parts) - 1, 0), "join")
    return str(separator).join(parts)


@expression_filter("replace")
def replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """Jinja's ``replace``, refusing results above the size limit before building them."""
    text, old, new = str(value), str(old), str(new)
    occurrences = text.count(old) if old else len(text) + 1
    if count is not None:
        occurrences = min(occurrences, max(int(count), 0))
    allocate(len(text) + occurrences * (len(new) - len(old)), "replace")
    return text.replace(old, new, -1 if count is None else int(count))


_DATE_FORMAT = re.compile(r"^(?:[^%]|%[aAbBcdDfHIjmMpSUwWxXyYzZ%GuV])*$")


@expression_filter("format_date")
def format_date(value: Any, fmt: str = "%Y-%m-%d %H:%M", zone: str | None = None) -> str:
    """Format a date with strftime codes: ``now|format_date('%d %B %Y')``, in the run's
    time zone (its workflow's ``time_zone``, else TIME_ZONE) or the one named, as Bubble's
    "time zone selection": ``now|format_date('%H:%M', 'America/New_York')``."""
    if not isinstance(value, datetime.date):
        if isinstance(value, str) and parse_datetime(value):
            value = parse_datetime(value)
        else:
            raise TypeError(f"format_date needs a date, not {type(value).__name__}")
    if len(fmt) > 200 or not _DATE_FORMAT.match(fmt):
        raise ValueError("format_date accepts plain strftime codes such as %Y-%m-%d only")
    if zone is not None and not is_time_zone(zone):
        raise ValueError(not_a_time_zone(zone))
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zoneinfo.ZoneInfo(zone) if zone else None)
    return value.strftime(fmt)


def is_time_zone(name: Any) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows (``Europe/Paris``): one the
    time zone database lists, not any file zoneinfo can open (``posix/…``, ``right/…`` read
    other offsets; ``localtime`` is whatever the host's is)."""
    return isinstance(name, str) and name in time_zone_names()


def not_a_time_zone(name: Any) -> str:
    """What every refusal of a time zone says (the workflow's, a run's, a format's)."""
    return f"{str(name)[:60]!r} is not an IANA time zone (Europe/Paris)"


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name (``zoneinfo.available_timezones``), without the host's own."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})
