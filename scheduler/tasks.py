"""django-q2 task functions: thin, they load and hand over to ``execution``."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

from .dispatch import hand_back
from .execution import execute_scheduled_run as _execute

logger = logging.getLogger("scheduler.tasks")


def execute_scheduled_run(pk: str) -> str:
    """Run the scheduled run ``pk`` (a no-op if it was cancelled or already taken).

    If the database fails before the run is claimed (SQLite busy past its timeout, a
    PostgreSQL connection lost), the run is handed back to the dispatcher: this task ends
    here, and nothing else would deliver it before ``QUEUED_TIMEOUT``.
    """
    try:
        return _execute(pk)
    except (OperationalError, InterfaceError):
        try:
            if hand_back(pk):
                logger.warning("scheduled run %s handed back after a database error", pk)
        except (OperationalError, InterfaceError):
            logger.warning("scheduled run %s: database unavailable; its lease will tell", pk)
        raise
