"""Which run the lines being logged belong to: the run id the log filter
(``log_filters.RunIdFilter``) puts on every record, for the JSON log lines.

The engine opens a scope per run (``logged_run`` on ``engine.run``) and names its run as
soon as the ``Run`` row exists (``set_run``), so every line logged from then until the run
returns carries its id: its actions', the crash report after its transaction ended, its
failure. Custom events (child runs inside the caller's) are told apart by the filter, from
the engine's current run. Importable while settings load: no models.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_run_id: ContextVar[str | None] = ContextVar("bubble_log_run_id", default=None)


def logged_run(func: F) -> F:
    """Decorate a function that runs a workflow: the run it names with ``set_run`` is
    forgotten when it returns, whatever happened (a run inside a run gets its own)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _run_id.set(None)
        try:
            return func(*args, **kwargs)
        finally:
            _run_id.reset(token)

    return wrapper  # type: ignore[return-value]


def set_run(run_id: Any) -> None:
    """The lines logged from now on, until the enclosing ``logged_run`` returns, are run
    ``run_id``'s."""
    _run_id.set(str(run_id))


def current_run_id() -> str | None:
    return _run_id.get()
