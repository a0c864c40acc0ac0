"""Scheduler fixtures: run what is due without a django-q2 cluster, at any moment."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from scheduler.dispatch import dispatch_due
from scheduler.execution import execute_scheduled_run


@pytest.fixture
def drain(db) -> Callable[..., list[str]]:
    """Dispatch every run due at ``now`` (default: the present) and execute it in-process.

    Returns each execution's outcome; repeats while runs keep coming due (retries due now,
    runs scheduled by runs), up to ``rounds`` times.
    """

    def do(now: datetime.datetime | None = None, rounds: int = 20) -> list[str]:
        outcomes: list[str] = []
        for _ in range(rounds):
            result = dispatch_due(now or timezone.now(), enqueue=False)
            if not result.queued:
                break
            outcomes.extend(execute_scheduled_run(pk, now) for pk in result.queued)
        return outcomes

    return do


@pytest.fixture
def later() -> Callable[..., datetime.datetime]:
    def at(**delta: float) -> datetime.datetime:
        return timezone.now() + datetime.timedelta(**delta)

    return at
