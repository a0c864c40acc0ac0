"""Chores the dispatcher does now and then (every ``HOUSEKEEPING_INTERVAL`` seconds) so
tables that only grow stay bounded without an operator's cron job. Each chore is
idempotent: several schedulers doing it at once only delete the same rows."""

from __future__ import annotations

import logging
from collections.abc import Callable

from workflows import idempotency
from workflows.stats.rollup import run_stats_chore
from workflows.tokens import user_tokens_purge

from .retention import prune_in_background

logger = logging.getLogger("scheduler.housekeeping")

#: name -> a function doing one chore, returning how many rows it removed
CHORES: dict[str, Callable[[], int]] = {
    "user tokens that stopped working": user_tokens_purge,
    "Idempotency-Key answers past BUBBLE_IDEMPOTENCY_TTL": idempotency.prune,
    # closes finished hours of run statistics first (before any pruning of runs)
    "hours of run statistics past RUN_STATS_KEEP_DAYS": run_stats_chore,
    # in a thread of its own, which logs what it deleted (docs/operations.md#run-history)
    "finished runs past BUBBLE_RUN_RETENTION": prune_in_background,
}


def run_chores() -> dict[str, int]:
    """Do every chore once; what each removed. One failing chore does not stop the others
    (it is logged and tried again next time)."""
    done: dict[str, int] = {}
    for name, chore in CHORES.items():
        try:
            done[name] = chore()
        except Exception:  # noqa: BLE001 - a chore must never stop the dispatcher
            logger.exception("housekeeping: %s failed; trying again next time", name)
            continue
        if done[name]:
            logger.info("housekeeping: deleted %s %s", done[name], name)
    return done
