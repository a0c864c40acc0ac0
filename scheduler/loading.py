"""Loading a scheduled run on the worker, with its workflow and user, in one prepared query.

Every scheduled run starts with this read. Through the ORM
(``select_related("workflow", "actor")``) building and compiling the query cost about
0.5 ms of Python per run, as much as the rest of a trivial run's bookkeeping: the largest
part of the gap between a scheduled run and a raw django-q2 task (docs/performance.md,
"Scheduler throughput"). Here the statement is built once per process
(``workflows.statements.select_one``). The workflow comes with the columns a worker reads
(others are deferred and load on access, as with ``.only()``); the scheduled run and the
user with all of theirs. tests/scheduler/test_loading.py checks the instances are equal,
field by field, to the ORM's on each database.
"""

from __future__ import annotations

from typing import Any

from workflows.statements import select_one

from .models import ScheduledRun

#: the workflow's columns a worker reads; the engine finds the rest in the compiled
#: definition it caches per revision
WORKFLOW_FIELDS = frozenset(
    {"id", "name", "timeout", "retries", "retry_delay", "revision", "updated_at"}
)


def load_scheduled_run(pk: Any) -> ScheduledRun | None:
    """Scheduled run ``pk`` with its workflow and user attached, or None if there is none."""
    return select_one(
        ScheduledRun, {"pk": pk}, related={"workflow": WORKFLOW_FIELDS, "actor": None}
    )
