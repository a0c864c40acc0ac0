"""The raw django-q2 side of the throughput comparison: a task that does nothing.

So that it can be timed without django-q2 saving results (our dispatcher queues with
``save=False`` too), it appends the time it ran to the file ``BENCH_STAMPS`` names, when
set: one small write, no database.
"""

from __future__ import annotations

import os
import time


def noop(index: int = 0) -> None:
    """The trivial task queued with ``django_q.tasks.async_task`` (``bench.tasks.noop``)."""
    path = os.environ.get("BENCH_STAMPS")
    if path:
        with open(path, "a") as stamps:
            stamps.write(f"{time.time()}\n")
