"""Pruning history with the scheduler: finished scheduled runs go, pending ones never, the
links to pruned runs empty out without breaking anything, and the housekeeping does it in
a thread of its own."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.utils import timezone

from scheduler import dispatch, retention, services
from scheduler.models import RecurringEvent, ScheduledRun, Status
from workflows.choices import RunSource, RunStatus
from workflows.models import Run
from workflows.retention import Retention


@pytest.fixture(autouse=True)
def all_runs_counted(db):
    """The run statistics have counted every run (pruning leaves uncounted runs alone:
    test_uncounted_runs_are_kept in tests/workflows/test_retention.py)."""
    from workflows.models import RunStatsWatermark

    RunStatsWatermark.objects.update_or_create(
        pk=1, defaults={"closed_until": timezone.make_aware(datetime.datetime(2100, 1, 1))}
    )


pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def wf(make_workflow):
    return make_workflow("sync", actions=[{"type": "log", "message": "x"}])


def scheduled(wf, days_ago: float, status: str, **kw) -> ScheduledRun:
    at = timezone.now() - days_ago * DAY
    finished = at if status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED) else None
    if status == Status.MISSED:
        finished = at
    return ScheduledRun.objects.create(
        workflow=wf, due_at=at, status=status, finished_at=finished, **kw
    )


def old_run(wf, days_ago: float, status: str = RunStatus.SUCCEEDED) -> Run:
    at = timezone.now() - days_ago * DAY
    return Run.objects.create(
        workflow=wf,
        workflow_name=wf.name,
        status=status,
        source=RunSource.SCHEDULED,  # a running one is its worker's, still going
        started_at=at,
        finished_at=at,
    )


def cutoffs():
    return Retention(30 * DAY, 90 * DAY).cutoffs(timezone.now())


def test_finished_scheduled_runs_go_pending_ones_never(wf):
    gone = [
        scheduled(wf, 40, Status.SUCCEEDED),
        scheduled(wf, 40, Status.CANCELLED),
        scheduled(wf, 40, Status.MISSED),
        scheduled(wf, 100, Status.FAILED),
    ]
    kept = [
        scheduled(wf, 40, Status.FAILED),  # failed: kept 90 days
        scheduled(wf, 400, Status.SCHEDULED),  # due long ago, still to run
        scheduled(wf, 400, Status.QUEUED),
        scheduled(wf, 400, Status.RUNNING),
        scheduled(wf, 10, Status.SUCCEEDED),
    ]
    # cancelled now but due far ahead: its due time is not past
    kept.append(scheduled(wf, -60, Status.CANCELLED))
    pruned = retention.prune_history(cutoffs(), sleep=lambda s: None)
    assert set(ScheduledRun.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert pruned.counts["scheduler.ScheduledRun"] == len(gone)


def test_links_to_pruned_runs_empty_out_and_what_was_scheduled_still_runs(
    wf, make_workflow, drain, user
):
    old = old_run(wf, 40)
    pending = services.schedule(wf, {}, actor=user, scheduled_by=old, depth=1)
    event = RecurringEvent.objects.create(
        workflow=wf, frequency={"every": "1 day"}, start=timezone.now(), created_by=old
    )
    retry_of = scheduled(wf, 1, Status.SCHEDULED, run=old)
    retention.prune_history(cutoffs(), sleep=lambda s: None)
    assert not Run.objects.filter(pk=old.pk).exists()
    pending.refresh_from_db()
    event.refresh_from_db()
    retry_of.refresh_from_db()
    assert pending.scheduled_by_id is None and event.created_by_id is None
    assert retry_of.run_id is None
    assert sorted(drain()) == [Status.SUCCEEDED, Status.SUCCEEDED]
    pending.refresh_from_db()
    assert Run.objects.get(pk=pending.run_id).parent_id is None


def test_a_recurring_event_keeps_its_upcoming_occurrence(wf):
    event = RecurringEvent.objects.create(
        workflow=wf, frequency={"every": "1 day"}, start=timezone.now() - 100 * DAY
    )
    past = scheduled(wf, 50, Status.SUCCEEDED, recurring=event)
    upcoming = scheduled(wf, -1, Status.SCHEDULED, recurring=event)
    retention.prune_history(cutoffs(), sleep=lambda s: None)
    assert list(event.occurrences.all()) == [upcoming]
    assert not ScheduledRun.objects.filter(pk=past.pk).exists()


def test_a_dry_count_deletes_nothing(wf):
    scheduled(wf, 40, Status.SUCCEEDED)
    old_run(wf, 40)
    counted = retention.count_history(cutoffs())
    assert retention.describe(counted) == "1 runs (0 steps) and 1 scheduled runs"
    assert ScheduledRun.objects.count() == 1 and Run.objects.count() == 1


class InlineThread:
    """A thread whose ``start()`` runs its target at once, in the test's transaction."""

    started: list[InlineThread] = []

    def __init__(self, target, args=(), **kwargs):
        self.target, self.args, self.alive = target, args, False

    def start(self) -> None:
        InlineThread.started.append(self)
        self.target(*self.args)

    def is_alive(self) -> bool:
        return self.alive


@pytest.fixture
def inline_thread(monkeypatch):
    InlineThread.started = []
    monkeypatch.setattr(retention.threading, "Thread", InlineThread)
    monkeypatch.setattr(retention, "_worker", None)
    monkeypatch.setattr(retention.connection, "close", lambda: None)
    return InlineThread


def test_the_dispatchers_housekeeping_prunes_in_a_thread_of_its_own(wf, inline_thread):
    old_run(wf, 40)
    old_run(wf, 400, RunStatus.RUNNING)
    scheduled(wf, 40, Status.SUCCEEDED)
    stop = threading.Event()
    passes = []
    dispatch.run_forever(stop, alive=lambda: not passes.append(1) and len(passes) == 1)
    pruning = [t for t in inline_thread.started if t.target is retention._prune_and_report]
    assert len(pruning) == 1  # (the Runs search's index keeps a thread of its own too)
    assert list(Run.objects.values_list("status", flat=True)) == [RunStatus.RUNNING]
    assert not ScheduledRun.objects.exists()


def test_no_thread_without_anything_to_prune_nor_while_one_prunes(wf, inline_thread):
    assert retention.prune_in_background() == 0 and inline_thread.started == []
    old_run(wf, 40)
    busy = InlineThread(lambda: None)
    busy.alive = True
    retention._worker = busy
    retention.prune_in_background()
    assert inline_thread.started == [] and Run.objects.count() == 1


def test_forever_prunes_nothing(wf, settings, inline_thread):
    settings.BUBBLE = {**settings.BUBBLE, "RUN_RETENTION": "forever", "FAILED_RUN_RETENTION": ""}
    old_run(wf, 4000)
    retention.prune_in_background()
    assert inline_thread.started == [] and Run.objects.count() == 1
