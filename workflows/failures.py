"""A run that failed for good: nothing will try it again. Its workflow's error workflow is
run with what went wrong, and the admins hear when a workflow keeps failing
(``workflows/alerts.py``).

"For good" is decided where a run's end is written: by the engine for the runs nobody
retries (API calls, Run now, code), by the scheduler for its own runs once their retries
are used up (``scheduler/execution.py``; its reaper for a worker lost too often), by
``services.runs_abandoned_close`` for API runs whose process died. Each calls
``failed_for_good`` inside the transaction that writes the failure, so the error
workflow's scheduled run commits with it (it is written once, and survives a crash) or not
at all. Runs of an error workflow started because another run failed pass no error
workflow: their failure is told to the admins, never to another error workflow, so error
workflows cannot loop.

The scheduler runs error workflows (``error_workflow_runners``: ``workflows`` never imports
the scheduler); without it, a failure only reaches the alerts.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import transaction

from .choices import StepStatus
from .models import Run, StepRun

logger = logging.getLogger("workflows.failures")

#: ``runner(run, error_workflow, step)``: schedule workflow ``error_workflow`` for the
#: failed ``run``, whose step ``step`` failed (None: none did); the scheduler registers it
error_workflow_runners: list[Callable[[Run, str, int | None], None]] = []


def failed_for_good(
    run: Run, error_workflow: str = "", *, now: datetime.datetime | None = None
) -> None:
    """``run`` (its failure written, not committed) will not be tried again: run its
    workflow's ``error_workflow`` ("" none) and note the failure for the alerts. Neither
    can undo the failure's record: each is done in a savepoint, and what goes wrong there
    is logged."""
    step = failed_step(run)
    if error_workflow:
        for runner in error_workflow_runners:
            _guarded(
                f"the error workflow {error_workflow!r} of run {run.pk}",
                lambda runner=runner: runner(run, error_workflow, step),
            )
    from . import alerts

    _guarded(f"the alerts for run {run.pk}", lambda: alerts.run_failed(run, step, now=now))


def failed_step(run: Run) -> int | None:
    """The number of the step that failed in ``run``, if one did."""
    return (
        StepRun.objects.filter(run_id=run.pk, status=StepStatus.FAILED)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )


def _guarded(what: str, do: Callable[[], object]) -> None:
    try:
        with transaction.atomic():
            do()
    except Exception:  # noqa: BLE001 - the failure itself is recorded whatever happens here
        logger.exception("%s could not be handled", what)
