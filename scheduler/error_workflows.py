"""Running a workflow's error workflow when one of its runs failed for good: a scheduled
run, due now, written in the transaction that records the failure
(``workflows/failures.py``), so it runs once, even after a crash, and with the error
workflow's own retries.

It runs as the failed run's user, one level deeper (at most ``BUBBLE_MAX_DEPTH``: an
error workflow that schedules the failed workflow again is stopped by the depth limit),
as a run the failed one scheduled (``scheduled_by``: the run log links them). Its own
failure runs no error workflow (``Origin.ERROR_WORKFLOW``, see ``execution`` and
``dispatch``): error workflows cannot loop. One deleted, or changed so that it can no
longer be one since the failing workflow was saved, is logged and skipped.
"""

from __future__ import annotations

import logging

from workflows import conf as workflows_conf
from workflows.engine.error_workflows import error_params, problems
from workflows.models import Run
from workflows.versions.edition import TEST, Edition, serving

from . import services
from .models import Origin, ScheduledRun

logger = logging.getLogger("scheduler.error_workflows")


def schedule_error_workflow(run: Run, name: str, step: int | None) -> ScheduledRun | None:
    """Schedule error workflow ``name`` for failed ``run`` (whose step ``step`` failed)."""
    # as the failed run was served (its version, development for a test's), wherever the
    # failure is recorded: in the run, on its worker, or by a reaper outside any
    with serving(TEST if run.test else Edition(run.version)):
        workflow = services.served_target(name)
    why = (
        [f"there is no workflow named {name!r}"]
        if workflow is None
        else [
            f"{name!r} {problem}"
            for problem in problems(workflow.compiled.kind, workflow.compiled.parameters)
        ]
    )
    if why:
        logger.error(
            "run %s of %s failed; its error workflow was not run: %s",
            run.pk,
            run.workflow_name,
            "; ".join(why),
        )
        return None
    params = error_params(run.pk, run.workflow_name, run.error_code, run.error_message, step)
    return services.schedule(
        workflow,
        params,
        actor=run.actor,
        scheduled_by=run,
        depth=min(run.depth + 1, workflows_conf.get("MAX_DEPTH")),
        origin=Origin.ERROR_WORKFLOW,
        test=run.test,
    )
