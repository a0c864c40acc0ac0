"""Resource limits for expression evaluation: size caps, a per-evaluation deadline and
bounded decimal arithmetic."""

from __future__ import annotations

import contextvars
import decimal
import time
from collections.abc import Iterable, Iterator, Mapping, MappingView
from contextlib import contextmanager
from typing import Any

from jinja2.exceptions import SecurityError

from .. import conf

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "expression_deadline", default=None
)
#: characters and items built so far by the evaluation under way (``allocate``)
_built: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "expression_built", default=None
)
#: MAX_VALUE_SIZE, read once per evaluation (the checks run on every filter call)
_max_size: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "expression_max_size", default=None
)
#: one evaluation may build this many times MAX_VALUE_SIZE in all (each piece under it)
BUILD_FACTOR = 10
#: decimal numbers an expression may build: up to 10**1000 (a float stops at 10**308). Python's
#: default allows 10**999999, whose conversion to a whole number for the log, ``|int`` or a
#: response takes half a minute; every decimal operation inside an evaluation runs in this
#: context, so ``total ** n`` past it is an Overflow error at once.
DECIMAL_CONTEXT = decimal.Context(
    prec=28,
    Emax=1000,
    Emin=-1000,
    traps=[decimal.Overflow, decimal.InvalidOperation, decimal.DivisionByZero],
)
#: types that weigh 1 whatever their value (checked by identity: the fast path)
SCALARS = frozenset({int, float, bool, type(None)})


def max_size() -> int:
    size = _max_size.get()
    return conf.get("MAX_VALUE_SIZE") if size is None else size


def check_size(size: int, what: str = "value") -> None:
    """Refuse before building a string or list bigger than the configured cap."""
    if size > max_size():
        raise SecurityError(
            f"{what} would have {size:,} items or characters; the limit is {max_size():,}"
        )


def allocate(size: int, what: str = "value") -> None:
    """``check_size`` for an operation about to build ``size`` characters or items, also
    counted against the evaluation's total: a list literal of 500 one-megabyte texts is
    refused after ten of them, not once 500 MB are allocated."""
    limit = max_size()
    if size > limit:
        check_size(size, what)
    built = _built.get()
    if built is None:
        return
    built[0] += size
    budget = limit * BUILD_FACTOR
    if built[0] > budget:
        raise SecurityError(f"the expression built more than {budget:,} characters or items in all")


def check_deadline() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise SecurityError(
            f"expression took longer than {conf.get('EXPRESSION_TIME_LIMIT')} s and was stopped"
        )


@contextmanager
def time_budget() -> Iterator[None]:
    """Bound the wall-clock time and the building of one evaluation (nested evaluations
    share the outer one's)."""
    if _deadline.get() is not None:
        yield
        return
    settings = conf.bubble_settings()
    token = _deadline.set(time.monotonic() + settings["EXPRESSION_TIME_LIMIT"])
    built = _built.set([0])
    size = _max_size.set(settings["MAX_VALUE_SIZE"])
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            yield
    finally:
        _max_size.reset(size)
        _built.reset(built)
        _deadline.reset(token)


def weigh(value: Any, limit: int | None = None) -> int:
    """The deep size of ``value``: characters of text plus one per container item, counted
    through nested lists, tuples, sets and dicts.

    A list may hold the same big string a million times for the price of a million
    pointers; printing it (``|string``, ``~``, ``{{ }}`` in text, ``|tojson``) costs the
    deep size, so that is what the caps are measured against. Stops counting once above
    ``limit`` (default: the size cap), so weighing is bounded too.
    """
    kind = type(value)
    if kind is str:
        return max(len(value), 1)
    if kind in SCALARS:
        return 1
    limit = max_size() if limit is None else limit
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        total += 1
        if type(item) in SCALARS:
            pass
        elif isinstance(item, str | bytes | bytearray):
            total += max(len(item), 1) - 1
        elif isinstance(item, list | tuple | set | frozenset | MappingView):
            stack.extend(item)
        elif isinstance(item, dict | Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        if total > limit:
            return total
    return total


def check_weight(value: Any, what: str = "value") -> None:
    """Refuse ``value`` when printing or copying it would exceed the size cap."""
    if isinstance(value, str):
        if len(value) > max_size():
            check_size(len(value), what)
        return
    if type(value) in SCALARS:
        return
    size = weigh(value)
    if size > max_size():
        raise SecurityError(
            f"{what} would have more than {max_size():,} items or characters in all"
        )


def materialize(values: Iterable[Any], what: str = "list") -> list[Any]:
    """A lazy sequence (``|map``, ``|select``) as a list, refused as soon as its items
    together outgrow the size cap, before a filter such as ``|sort`` copies them."""
    limit = max_size()
    items: list[Any] = []
    total = 0
    for item in values:
        total += weigh(item, limit)
        if total > limit:
            raise SecurityError(f"{what} would have more than {limit:,} items or characters in all")
        items.append(item)
        if len(items) % 1024 == 0:
            check_deadline()
    return items
