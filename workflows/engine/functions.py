"""The expression functions and filters builders may call, each registered by name.

Only what is registered here is callable from an expression (besides a short allowlist
of methods on strings, lists, dicts and dates kept in ``sandbox.py``). A function that
needs the running workflow (``search``) is registered with ``needs_context=True`` and is
bound to the run when the scope is built.
"""

from __future__ import annotations

import datetime
import re
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError

from .limits import check_deadline, check_size


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


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_deadline()
        return func(*args, **kwargs)

    wrapper.__name__ = getattr(func, "__name__", "filter")
    for marker in ("jinja_pass_arg",):
        if hasattr(func, marker):
            setattr(wrapper, marker, getattr(func, marker))
    return wrapper


def expression_filter(name: str):
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in FILTERS:
            raise ValueError(f"expression filter {name!r} is already registered")
        FILTERS[name] = _guarded(func)
        return func

    return decorator


# --- Date arithmetic: now + days(7) -------------------------------------------------------

_MAX_DAYS = 365 * 200


def _duration(unit: str, amount: Any) -> datetime.timedelta:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise TypeError(f"{unit}() takes a number, not {type(amount).__name__}")
    delta = datetime.timedelta(**{unit: amount})
    if abs(delta.days) > _MAX_DAYS:
        raise SecurityError(f"{unit}({amount}) is longer than 200 years")
    return delta


@expression_function("seconds")
def seconds(n: float) -> datetime.timedelta:
    """A duration of n seconds, to add to or subtract from a date."""
    return _duration("seconds", n)


@expression_function("minutes")
def minutes(n: float) -> datetime.timedelta:
    """A duration of n minutes."""
    return _duration("minutes", n)


@expression_function("hours")
def hours(n: float) -> datetime.timedelta:
    """A duration of n hours."""
    return _duration("hours", n)


@expression_function("days")
def days(n: float) -> datetime.timedelta:
    """A duration of n days: ``now + days(7)``."""
    return _duration("days", n)


@expression_function("weeks")
def weeks(n: float) -> datetime.timedelta:
    """A duration of n weeks."""
    return _duration("weeks", n)


@expression_function("date")
def to_date(value: Any) -> datetime.datetime:
    """A date from ISO 8601 text or epoch milliseconds: ``date('2026-12-24T18:00:00Z')``."""
    from .params import parse_date  # local: params imports this module's siblings

    return parse_date(value)


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


# --- Filters: Jinja's own, where their output cannot outgrow their input ----------------

for _name in (
    "abs",
    "attr",
    "capitalize",
    "count",
    "default",
    "d",
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
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
):
    FILTERS[_name] = _guarded(jinja_filters.FILTERS[_name])


@expression_filter("join")
def join(value: Iterable[Any], separator: str = "", attribute: str | None = None) -> str:
    """Jinja's ``join``, refusing results above the size limit before building them."""
    items = list(value)
    if attribute is not None:
        items = [item.get(attribute) if isinstance(item, dict) else item for item in items]
    parts = ["" if item is None else str(item) for item in items]
    check_size(sum(map(len, parts)) + len(str(separator)) * max(len(parts) - 1, 0), "join")
    return str(separator).join(parts)


@expression_filter("replace")
def replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """Jinja's ``replace``, refusing results above the size limit before building them."""
    text, old, new = str(value), str(old), str(new)
    occurrences = text.count(old) if old else len(text) + 1
    if count is not None:
        occurrences = min(occurrences, max(int(count), 0))
    check_size(len(text) + occurrences * (len(new) - len(old)), "replace")
    return text.replace(old, new, -1 if count is None else int(count))


_DATE_FORMAT = re.compile(r"^(?:[^%]|%[aAbBcdDfHIjmMpSUwWxXyYzZ%GuV])*$")


@expression_filter("format_date")
def format_date(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a date with strftime codes: ``now|format_date('%d %B %Y')``."""
    if not isinstance(value, datetime.date):
        if isinstance(value, str) and parse_datetime(value):
            value = parse_datetime(value)
        else:
            raise TypeError(f"format_date needs a date, not {type(value).__name__}")
    if len(fmt) > 200 or not _DATE_FORMAT.match(fmt):
        raise ValueError("format_date accepts plain strftime codes such as %Y-%m-%d only")
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(fmt)
