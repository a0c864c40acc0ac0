"""The raw django-q2 side of the scheduler throughput comparison (``async_task`` targets).

* ``run_workflow(name)``: the equivalent function. It does the work a scheduled run does
  minus the scheduler: load the workflow, ``workflows.engine.run`` it, so the run log
  (``Run`` and ``StepRun`` rows) is written on both sides. The throughput goal is
  measured against it.
* ``noop()``: a task that does nothing (an extra, for scale: the cost of django-q2 itself).
  So that it can be timed without django-q2 saving results (our dispatcher queues with
  ``save=False`` too), it appends the time it ran to the file ``BENCH_STAMPS`` names,
  when set: one small write, no database.
"""

from __future__ import annotations

import os
import time


def run_workflow(name: str) -> str:
    """Run workflow ``name`` once, as a scheduled run would (anonymous, run log written)."""
    from workflows import engine
    from workflows.choices import RunSource
    from workflows.models import Workflow

    workflow = Workflow.objects.get(name=name)
    return engine.run(workflow, {}, None, source=RunSource.SCHEDULED).status


def noop(index: int = 0) -> None:
    """The trivial task queued with ``django_q.tasks.async_task`` (``bench.tasks.noop``)."""
    path = os.environ.get("BENCH_STAMPS")
    if path:
        with open(path, "a") as stamps:
            stamps.write(f"{time.time()}\n")
