"""A test run's outbox: what the run would send, recorded instead of sent.

The editor's "Test run" runs a workflow with the real engine in a transaction rolled back
at the end (``workflows.editor.trial``). Database work undoes itself that way; emails and
calls to other servers do not, so the actions that reach outside ask ``current_outbox()``
first: inside a test run they record what they would send, and send it only when the
builder asked to really send.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outbox:
    #: send for real (the builder ticked "really send"), still recording
    send: bool = False
    emails: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


_outbox: ContextVar[Outbox | None] = ContextVar("bubble_outbox", default=None)


def current_outbox() -> Outbox | None:
    """The outbox of the test run under way, or None for a real run."""
    return _outbox.get()


@contextmanager
def test_run_outbox(*, send: bool = False) -> Iterator[Outbox]:
    """Everything run inside records what it sends (and sends it only with ``send``)."""
    outbox = Outbox(send=send)
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)
