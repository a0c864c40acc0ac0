"""The edition serving a call or a run: a deployed version's number, or development.

Set for a request by ``middleware.VersionMiddleware`` (the API: live; /version-test/:
development, a test) and for a scheduled run by the scheduler; read wherever a workflow or
a privacy rule is looked up (``serving.pinned``). A context variable: each request and run
has its own, and a run's custom events and checks share it. Nothing here imports the
engine, so every module may read it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any


class Edition:
    """What serves a call or a run: deployed version ``number``, or (None) development's
    rows; ``test``: a test of development (/version-test/), marked so in the logs.

    The live edition learns its number when first asked (``resolve``, one indexed query):
    a call refused before it runs anything (no key, a bad body) reads no version at all,
    and one that does reads it once, keeping it to its end."""

    __slots__ = ("_number", "_resolve", "test")

    def __init__(
        self,
        number: int | None = None,
        *,
        test: bool = False,
        resolve: Callable[[], int | None] | None = None,
    ):
        self._number = number
        self._resolve = resolve
        self.test = test

    @property
    def number(self) -> int | None:
        if self._resolve is not None:
            self._number, self._resolve = self._resolve(), None
        return self._number

    @property
    def development(self) -> bool:
        return self.number is None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Edition) and (self.number, self.test) == (other.number, other.test)

    def __hash__(self) -> int:
        return hash((self.number, self.test))

    def __repr__(self) -> str:
        return f"Edition(number={self.number!r}, test={self.test!r})"


#: development, tested at /version-test/
TEST = Edition(None, test=True)

_edition: ContextVar[Edition | None] = ContextVar("bubble_edition", default=None)


def current() -> Edition | None:
    """The edition this call or run is served by; None outside any (the admin, code, the
    shell), which works on development."""
    return _edition.get()


@contextlib.contextmanager
def serving(edition: Edition | None) -> Iterator[None]:
    """Serve ``edition`` for the duration: every workflow and privacy rule looked up
    inside comes from it (a run's custom events and privacy checks included)."""
    token = _edition.set(edition)
    try:
        yield
    finally:
        _edition.reset(token)


def testing() -> bool:
    """Whether the call or run in progress is a test of development (/version-test/):
    what it schedules is marked so (``ScheduledRun.test``'s default) and runs development."""
    edition = _edition.get()
    return edition is not None and edition.test


def run_marks() -> dict[str, Any]:
    """What a ``Run`` records of the edition serving it: ``version`` (None: development)
    and ``test``."""
    edition = _edition.get()
    if edition is None:
        return {"version": None, "test": False}
    return {"version": edition.number, "test": edition.test}
