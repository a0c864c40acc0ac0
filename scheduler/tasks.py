"""django-q2 task functions: thin, they load and hand over to ``execution``."""

from __future__ import annotations

from .execution import execute_scheduled_run as _execute


def execute_scheduled_run(pk: str) -> str:
    """Run the scheduled run ``pk`` (a no-op if it was cancelled or already taken)."""
    return _execute(pk)
