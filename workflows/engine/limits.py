"""Resource limits for expression evaluation: size caps and a per-evaluation deadline."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from jinja2.exceptions import SecurityError

from .. import conf

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "expression_deadline", default=None
)


def max_size() -> int:
    return conf.get("MAX_VALUE_SIZE")


def check_size(size: int, what: str = "value") -> None:
    """Refuse before building a string or list bigger than the configured cap."""
    if size > max_size():
        raise SecurityError(
            f"{what} would have {size:,} items or characters; the limit is {max_size():,}"
        )


def check_deadline() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise SecurityError(
            f"expression took longer than {conf.get('EXPRESSION_TIME_LIMIT')} s and was stopped"
        )


@contextmanager
def time_budget() -> Iterator[None]:
    """Bound the wall-clock time of one evaluation (nested evaluations share the outer one)."""
    if _deadline.get() is not None:
        yield
        return
    token = _deadline.set(time.monotonic() + conf.get("EXPRESSION_TIME_LIMIT"))
    try:
        yield
    finally:
        _deadline.reset(token)
