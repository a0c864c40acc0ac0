"""Pruning history: finished runs with their steps (``workflows/retention.py``) and finished
scheduled runs, past ``BUBBLE_RUN_RETENTION`` (failed: ``BUBBLE_FAILED_RUN_RETENTION``).

Done by the scheduler's housekeeping (``prune_in_background``, hourly) and on demand by
``manage.py prune_runs``. A scheduled run is pruned once it is finished (succeeded,
failed, cancelled, missed) and both its due time and its end are past the cutoff: pending
ones (scheduled, queued, running) never are, and a recurring event keeps its upcoming
occurrence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from django.db import connection
from django.utils import timezone

from workflows.retention import (
    Cutoffs,
    Group,
    Pruned,
    count_runs,
    groups_by_status,
    prune_groups,
    prune_runs,
    retention,
)

from .models import ScheduledRun, Status

logger = logging.getLogger("scheduler.retention")

_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def scheduled_groups(cutoffs: Cutoffs) -> Iterator[Group]:
    """Finished scheduled runs past their cutoff, one status at a time (each an index range
    of ``(status, due_at)``)."""
    return groups_by_status(
        "scheduled runs",
        "due_at",
        (
            (Status.SUCCEEDED, cutoffs.finished),
            (Status.CANCELLED, cutoffs.finished),
            (Status.MISSED, cutoffs.finished),
            (Status.FAILED, cutoffs.failed),
        ),
        lambda status, before: ScheduledRun.objects.filter(
            status=status, due_at__lt=before, finished_at__lt=before
        ).order_by("due_at"),
    )


def prune_history(cutoffs: Cutoffs, **options) -> Pruned:
    """Delete the scheduled runs, then the runs, past ``cutoffs``, in batches."""
    pruned = prune_groups(scheduled_groups(cutoffs), **options)
    return prune_runs(cutoffs, pruned, **options)


def count_history(cutoffs: Cutoffs) -> Pruned:
    """What ``prune_history`` would delete now, deleting nothing."""
    pruned = Pruned()
    for group in scheduled_groups(cutoffs):
        pruned.add(ScheduledRun._meta.label, group.rows().count())
    return count_runs(cutoffs, pruned)


def anything_to_prune(cutoffs: Cutoffs) -> bool:
    """Whether any row is past ``cutoffs`` (an indexed look per status)."""
    from workflows.retention import run_groups

    groups = [*scheduled_groups(cutoffs), *run_groups(cutoffs)]
    return any(group.rows().exists() for group in groups)


def prune_in_background() -> int:
    """The housekeeping chore: when there is history past the retention, prune it in a
    thread of its own, so the dispatcher goes on meanwhile (a backlog of a million runs
    takes minutes); one such thread per process. Returns 0: the thread logs what it
    deleted (``scheduler.retention``)."""
    global _worker
    cutoffs = retention().cutoffs(timezone.now())
    if cutoffs.keeps_everything or not anything_to_prune(cutoffs):
        return 0
    with _worker_lock:
        if _worker is not None and _worker.is_alive():
            return 0
        _worker = threading.Thread(
            target=_prune_and_report, args=(cutoffs,), name="prune-runs", daemon=True
        )
        _worker.start()
    return 0


def _prune_and_report(cutoffs: Cutoffs) -> None:
    try:
        pruned = prune_history(cutoffs)
        logger.info("pruned history: %s", describe(pruned))
    except Exception:  # noqa: BLE001 - tried again at the next housekeeping
        logger.exception("pruning history failed; trying again at the next housekeeping")
    finally:
        connection.close()  # this thread's own connection


def describe(pruned: Pruned) -> str:
    """``1,204 runs (3,612 steps) and 88 scheduled runs``."""
    scheduled = pruned.counts.get(ScheduledRun._meta.label, 0)
    return f"{pruned.runs:,} runs ({pruned.steps:,} steps) and {scheduled:,} scheduled runs"
