"""Run statistics test helpers: runs written as the run log holds them, at chosen times."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from workflows.choices import RunSource, RunStatus
from workflows.models import Run

#: a fixed hour to count in (UTC): tests move the clock, never wait on it
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)


def at(hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime.datetime:
    """``T0`` plus an offset."""
    return T0 + datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)


@pytest.fixture
def finished_run(db) -> Callable[..., Run]:
    """``finished_run(at(...), workflow="a", status="failed", duration_ms=30)``: a run that
    ended at that moment (started ``duration_ms`` before it; no duration with None)."""

    def make(
        finished_at: datetime.datetime | None,
        *,
        workflow: str = "wf",
        source: str = RunSource.API,
        status: str = RunStatus.SUCCEEDED,
        duration_ms: float | None = 20.0,
        started_at: datetime.datetime | None = None,
        **fields: Any,
    ) -> Run:
        if started_at is None:
            started_at = finished_at - datetime.timedelta(milliseconds=duration_ms or 0)
        return Run.objects.create(
            workflow_name=workflow,
            source=source,
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            duration_ms=duration_ms if finished_at else None,
            **fields,
        )

    return make
