"""What the dashboard and ``/metrics`` say about the scheduler: what is paused, waiting and
due, and how late runs start. Every query is bounded: an index range of due times (the
partial index of pending runs, ``sched_status_due_idx``), a capped count or a capped
sample, never a scan of the scheduler's history."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .models import FINISHED, Pause, ScheduledRun, Status
from .workflow_counts import count_by_workflow

#: runs whose lateness is sampled: the latest started, per period
LATENESS_SAMPLE = 1000
#: statuses of runs that have started (a retried run: its latest attempt)
STARTED = (Status.RUNNING, Status.SUCCEEDED, Status.FAILED)
#: pending statuses, counted exactly (what is waiting, not history)
PENDING = (Status.SCHEDULED, Status.QUEUED, Status.RUNNING)


@dataclass(frozen=True)
class Lateness:
    """``started_at - due_at`` of the latest runs started, in seconds."""

    p50: float
    p95: float
    max: float
    sampled: int


def percentile(values: list[float], q: float) -> float:
    """Nearest rank of sorted ``values`` (not empty)."""
    return values[max(math.ceil(q * len(values)) - 1, 0)]


def lateness(since: datetime, now: datetime, sample: int = LATENESS_SAMPLE) -> Lateness | None:
    """How late the latest ``sample`` runs due between ``since`` and ``now`` started; None
    if none did. One query per started status, each reading ``sched_status_due_idx``
    backwards and stopping at ``sample`` rows."""
    rows: list[tuple[datetime, datetime]] = []
    for status in STARTED:
        rows += (
            ScheduledRun.objects.filter(
                status=status, due_at__gte=since, due_at__lte=now, started_at__isnull=False
            )
            .order_by("-due_at")
            .values_list("due_at", "started_at")[:sample]
        )
    rows.sort(reverse=True)
    late = sorted(max((started - due).total_seconds(), 0.0) for due, started in rows[:sample])
    if not late:
        return None
    return Lateness(percentile(late, 0.5), percentile(late, 0.95), late[-1], len(late))


def pending_counts(statuses: tuple[str, ...] = PENDING) -> dict[str, int]:
    """Scheduled (not due yet or waiting), queued and running runs, exactly."""
    return {status: ScheduledRun.objects.filter(status=status).count() for status in statuses}


def waiting(now: datetime, cap: int | None = None) -> int:
    """Runs due but not handed to a worker yet (``cap``: counted up to ``cap`` + 1)."""
    rows = ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
    return (rows[: cap + 1] if cap is not None else rows).count()


def ended_since(
    since: datetime, now: datetime, statuses: tuple[str, ...] = FINISHED
) -> dict[str, int]:
    """Runs due between ``since`` and ``now`` that ended, by final status."""
    return {
        status: ScheduledRun.objects.filter(
            status=status, due_at__gte=since, due_at__lte=now
        ).count()
        for status in statuses
    }


def due_count(start: datetime, end: datetime) -> int:
    """Runs due after ``start`` up to ``end``, exactly (the partial index of pending runs)."""
    return ScheduledRun.objects.filter(
        status=Status.SCHEDULED, due_at__gt=start, due_at__lte=end
    ).count()


@dataclass(frozen=True)
class Due:
    """What is due in a coming window: how many (up to the cap), the busiest workflows."""

    count: int
    capped: bool
    workflows: list[tuple[str, int]]
    first: datetime | None


def due_between(start: datetime, end: datetime, cap: int, top: int = 5) -> Due:
    """Runs due after ``start`` up to ``end``: the first ``cap`` of them read (workflow
    ids only), counted by workflow."""
    rows = list(
        ScheduledRun.objects.filter(status=Status.SCHEDULED, due_at__gt=start, due_at__lte=end)
        .order_by("due_at")
        .values_list("workflow_id", "workflow_name", "due_at")[: cap + 1]
    )
    capped = len(rows) > cap
    rows = rows[:cap]
    by_workflow = count_by_workflow([(pk, name, 1) for pk, name, _ in rows])
    return Due(
        count=len(rows),
        capped=capped,
        workflows=by_workflow[:top],
        first=rows[0][2] if rows else None,
    )


@dataclass(frozen=True)
class Pauses:
    scheduler: Pause | None
    workflows: list[Pause]

    @property
    def any(self) -> bool:
        return self.scheduler is not None or bool(self.workflows)


def pauses(rows: list[Pause] | None = None) -> Pauses:
    """The pauses in force (``rows``: as already read in this request, by
    ``paused.pauses_for``)."""
    if rows is None:
        rows = list(Pause.objects.select_related("workflow", "paused_by").order_by("paused_at"))
    return Pauses(
        scheduler=next((p for p in rows if p.workflow_id is None), None),
        workflows=[p for p in rows if p.workflow_id is not None],
    )
