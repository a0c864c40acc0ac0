"""Closing finished hours: each run counted once, in the hour it finished, however late
its row is written; idempotent and safe with several schedulers at once; the clock is
always given (``now=``), never waited on."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from workflows.choices import RunSource, RunStatus
from workflows.models import Run, RunStatsHour, RunStatsTotal
from workflows.stats import read, rollup
from workflows.stats.rollup import close_hours, closed_until

from .conftest import at


def hours() -> dict[tuple, int]:
    """(hour offset from T0, workflow, status) -> runs, of the closed hours."""
    return {
        (round((row.hour - at()) / rollup.HOUR), row.workflow_name, row.status): row.count
        for row in RunStatsHour.objects.all()
    }


def totals() -> dict[tuple, int]:
    return {
        (row.workflow_name, row.source, row.status): row.count
        for row in RunStatsTotal.objects.all()
    }


def test_a_finished_hour_is_closed_once_it_has_settled(finished_run):
    finished_run(at(minutes=5))
    finished_run(at(minutes=59, seconds=59), status=RunStatus.FAILED)
    finished_run(at(1, minutes=1))  # the next hour: still open
    assert close_hours(now=at(1, seconds=30)) == 0  # within RUN_STATS_SETTLE of the hour's end
    assert closed_until() == at()
    assert close_hours(now=at(1, minutes=1)) == 2
    assert closed_until() == at(1)
    assert hours() == {(0, "wf", "succeeded"): 1, (0, "wf", "failed"): 1}
    assert totals() == {("wf", "api", "succeeded"): 1, ("wf", "api", "failed"): 1}


def test_a_run_is_counted_in_the_hour_it_finished_not_the_one_it_started(finished_run):
    finished_run(at(2, minutes=10), started_at=at(minutes=50), duration_ms=None)
    close_hours(now=at(3, minutes=5))
    assert hours() == {(2, "wf", "succeeded"): 1}


def test_closing_again_counts_nothing_twice(finished_run):
    for minute in range(0, 60, 10):
        finished_run(at(minutes=minute))
    assert close_hours(now=at(2)) == 6
    assert close_hours(now=at(2)) == 0
    assert close_hours(now=at(5)) == 0
    assert RunStatsHour.objects.get().count == 6
    assert totals() == {("wf", "api", "succeeded"): 6}


def test_a_run_still_going_holds_back_the_hours_its_custom_events_may_finish_in(finished_run):
    """A custom event's run is written with its caller's end, after it finished: the hour
    it finished in stays open while a run that started before that hour ended is running."""
    root = finished_run(None, started_at=at(minutes=50), status=RunStatus.RUNNING)
    finished_run(at(-1, minutes=5), workflow="other")
    finished_run(at(minutes=5), workflow="other")
    assert close_hours(now=at(1, minutes=30)) == 1  # the hours before the root started only
    assert closed_until() == at()
    # the root ends at 11:10, writing its child that ended at 10:55 (both in one commit)
    finished_run(at(minutes=55), workflow="child", parent=root, depth=1)
    Run.objects.filter(pk=root.pk).update(status=RunStatus.SUCCEEDED, finished_at=at(1, minutes=10))
    assert close_hours(now=at(1, minutes=30)) == 2  # the child too; the root's hour is open
    assert hours() == {
        (-1, "other", "succeeded"): 1,
        (0, "other", "succeeded"): 1,
        (0, "child", "succeeded"): 1,
    }
    close_hours(now=at(2, minutes=5))
    assert hours()[(1, "wf", "succeeded")] == 1


def test_a_run_lost_while_running_holds_hours_back_no_longer_than_the_longest_run(
    finished_run,
):
    finished_run(None, started_at=at(minutes=50), status=RunStatus.RUNNING)  # never ends
    finished_run(at(minutes=55))
    longest = rollup.LONGEST_TIMEOUT + 60  # ABANDONED_RUN_GRACE's default
    just_before = at(1, seconds=longest - 1)
    close_hours(now=just_before)
    assert closed_until() == at()
    close_hours(now=just_before + datetime.timedelta(minutes=2))
    assert closed_until() == at(1)
    assert hours() == {(0, "wf", "succeeded"): 1}


def test_a_run_whose_end_is_written_after_its_hour_ended_is_counted_in_it(finished_run):
    """The engine sets ``finished_at`` before its commit: a run still "running" in the
    table at the hour's end holds the hour open until its end is written."""
    run = finished_run(None, started_at=at(minutes=59), status=RunStatus.RUNNING)
    close_hours(now=at(1, minutes=2))
    assert closed_until() == at()
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, finished_at=at(minutes=59, seconds=59), duration_ms=999
    )
    close_hours(now=at(1, minutes=3))
    assert hours() == {(0, "wf", "failed"): 1}


def test_many_hours_are_closed_in_chunks_and_empty_stretches_cost_nothing(
    finished_run, django_assert_max_num_queries
):
    finished_run(at(minutes=1))
    finished_run(at(30, minutes=1))  # the next chunk
    finished_run(at(24 * 40), status=RunStatus.CONDITION_NOT_MET)  # 40 days later
    with django_assert_max_num_queries(40):  # not one per hour of the 40 days
        assert close_hours(now=at(24 * 40 + 2)) == 3
    assert hours() == {
        (0, "wf", "succeeded"): 1,
        (30, "wf", "succeeded"): 1,
        (960, "wf", "condition_not_met"): 1,
    }
    assert totals() == {("wf", "api", "succeeded"): 2, ("wf", "api", "condition_not_met"): 1}


def test_failed_hours_keep_their_last_run_and_error(finished_run):
    finished_run(at(minutes=1), status=RunStatus.FAILED, error_code="HTTP_ERROR", error_message="a")
    last = finished_run(
        at(minutes=40), status=RunStatus.FAILED, error_code="NOT_FOUND", error_message="b" * 5000
    )
    finished_run(at(minutes=50))
    close_hours(now=at(2))
    row = RunStatsHour.objects.get(status=RunStatus.FAILED)
    assert (row.count, row.last_run_id, row.last_error_code) == (2, last.pk, "NOT_FOUND")
    assert row.last_error_message == "b" * rollup.ERROR_KEPT
    assert RunStatsHour.objects.get(status=RunStatus.SUCCEEDED).last_run_id is None


def test_durations_are_bucketed_and_summed_per_hour_and_in_the_totals(finished_run):
    for duration in (4.0, 40.0, 400.0, None):
        finished_run(at(minutes=10), duration_ms=duration)
    finished_run(at(1, minutes=10), duration_ms=4000.0)
    close_hours(now=at(3))
    first = RunStatsHour.objects.get(hour=at())
    assert (first.count, first.timed, first.duration_ms_sum) == (4, 3, 444.0)
    assert (first.le_5ms, first.le_50ms, first.le_500ms, first.le_1h) == (1, 2, 3, 3)
    total = RunStatsTotal.objects.get()
    assert (total.count, total.timed, total.duration_ms_sum) == (5, 4, 4444.0)
    assert (total.le_5ms, total.le_5s, total.le_1h) == (1, 4, 4)


def test_a_scheduler_that_finds_the_watermark_moved_writes_nothing(finished_run, monkeypatch):
    """Two schedulers close the same hours: the second reads the runs, then finds the
    watermark moved by the first (its guarded UPDATE changes no row) and writes nothing."""
    for minute in (1, 2, 3):
        finished_run(at(minutes=minute), source=RunSource.SCHEDULED)
    counted = rollup._hour_rows
    other_scheduler = []

    def read_while_another_closes(start, end):
        rows = counted(start, end)
        if not other_scheduler:  # meanwhile, another scheduler closes the same hours
            monkeypatch.setattr(rollup, "_hour_rows", counted)
            other_scheduler.append(close_hours(now=at(2)))
            monkeypatch.setattr(rollup, "_hour_rows", read_while_another_closes)
        return rows

    monkeypatch.setattr(rollup, "_hour_rows", read_while_another_closes)
    assert close_hours(now=at(2)) == 0
    assert other_scheduler == [3]
    assert hours() == {(0, "wf", "succeeded"): 3}
    assert totals() == {("wf", "scheduled", "succeeded"): 3}


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_closing_at_once_count_each_run_once(finished_run):
    """Real concurrency: threads with their own connections close the same hours (on
    PostgreSQL: the tests' SQLite database is in memory, where a lock fails at once
    instead of waiting as a database file's does; the test above covers the logic)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent connections that wait on each other")

    for minute in range(0, 60, 3):
        finished_run(at(minutes=minute))
        finished_run(at(5, minutes=minute))
    barrier = threading.Barrier(4)
    results, errors = [], []

    def closer():
        try:
            barrier.wait()
            results.append(close_hours(now=at(10)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=closer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 40
    assert hours() == {(0, "wf", "succeeded"): 20, (5, "wf", "succeeded"): 20}
    assert totals() == {("wf", "api", "succeeded"): 40}


def test_old_hours_go_the_totals_stay(finished_run, settings):
    finished_run(at(minutes=1))
    finished_run(at(24 * 10, minutes=1))
    close_hours(now=at(24 * 10 + 2))
    settings.BUBBLE = {**settings.BUBBLE, "RUN_STATS_KEEP_DAYS": 5}
    assert rollup.prune_hours(now=at(24 * 10 + 2)) == 1
    assert hours() == {(240, "wf", "succeeded"): 1}
    assert totals() == {("wf", "api", "succeeded"): 2}


def test_pruning_runs_changes_no_statistics(finished_run):
    for minute in (1, 2):
        finished_run(at(minutes=minute), status=RunStatus.FAILED, error_message="boom")
    close_hours(now=at(2))
    before = (read.totals()[0], read.window(at()).workflows)
    Run.objects.all().delete()
    assert (read.totals()[0], read.window(at()).workflows) == before


def test_the_chore_closes_hours_and_deletes_old_ones(finished_run, time_machine):
    time_machine.move_to(at(24 * 200), tick=False)
    finished_run(at(minutes=1))
    finished_run(at(24 * 199))
    assert rollup.run_stats_chore() == 1  # the first hour: older than 90 days
    assert closed_until() == at(24 * 200 - 1)
    assert totals() == {("wf", "api", "succeeded"): 2}


def test_the_schedulers_housekeeping_closes_the_hours(finished_run, time_machine):
    from scheduler import housekeeping

    time_machine.move_to(at(3), tick=False)
    finished_run(at(minutes=1))
    done = housekeeping.run_chores()
    assert rollup.run_stats_chore in housekeeping.CHORES.values()
    assert 0 in done.values()  # nothing deleted, no failure
    assert totals() == {("wf", "api", "succeeded"): 1}
