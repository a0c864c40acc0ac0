"""Pruning runs: finished ones past their retention go with their steps, in batches; failed
ones are kept longer, running ones always; what named a pruned run keeps working."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from workflows.choices import RunStatus, StepStatus
from workflows.durations import parse_duration, parse_retention
from workflows.retention import Cutoffs, Pruned, Retention, count_runs, prune_runs, retention


@pytest.fixture(autouse=True)
def all_runs_counted(db):
    """The run statistics have counted every run (pruning leaves uncounted runs alone:
    test_uncounted_runs_are_kept in tests/workflows/test_retention.py)."""
    from workflows.models import RunStatsWatermark

    RunStatsWatermark.objects.update_or_create(
        pk=1, defaults={"closed_until": timezone.make_aware(datetime.datetime(2100, 1, 1))}
    )


pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 6, 1, 12, 0))
DAY = datetime.timedelta(days=1)
#: runs older than 30 days go; failed ones older than 90
CUTOFFS = Retention(30 * DAY, 90 * DAY).cutoffs(NOW)


def make_run(wf, days_ago: float, status: str = RunStatus.SUCCEEDED, steps: int = 2, **kw):
    from workflows.models import Run, StepRun

    at = NOW - datetime.timedelta(days=days_ago)
    run = Run.objects.create(
        workflow=wf, workflow_name=wf.name, status=status, started_at=at, finished_at=at, **kw
    )
    StepRun.objects.bulk_create(
        StepRun(run=run, position=i, action_type="log", status=StepStatus.SUCCEEDED)
        for i in range(1, steps + 1)
    )
    return run


@pytest.fixture
def wf(make_workflow):
    return make_workflow("sync", actions=[{"type": "log", "message": "x"}])


def remaining(wf) -> list[tuple[int, str]]:
    from workflows.models import Run

    return sorted(
        (round((NOW - r.started_at) / DAY), r.status) for r in Run.objects.filter(workflow=wf)
    )


def test_finished_runs_past_the_retention_go_with_their_steps_failed_ones_later(wf):
    from workflows.models import StepRun

    for days in (1, 29, 31, 100):
        make_run(wf, days)
    for days in (31, 89, 91):
        make_run(wf, days, RunStatus.FAILED)
    make_run(wf, 45, RunStatus.CONDITION_NOT_MET)
    pruned = prune_runs(CUTOFFS, sleep=lambda s: None)
    assert remaining(wf) == [(1, "succeeded"), (29, "succeeded"), (31, "failed"), (89, "failed")]
    assert (pruned.runs, pruned.steps) == (4, 8)
    assert StepRun.objects.count() == 8  # the four runs kept, two steps each


def test_running_runs_are_never_pruned_however_old(wf):
    make_run(wf, 400, RunStatus.RUNNING)
    assert prune_runs(CUTOFFS, sleep=lambda s: None).runs == 0
    assert remaining(wf) == [(400, "running")]


def test_it_goes_in_batches_pausing_between_them(wf):
    for days in range(31, 38):
        make_run(wf, days)
    pauses: list[float] = []
    pruned = prune_runs(CUTOFFS, batch_size=3, pause=0.25, sleep=pauses.append)
    assert pruned.runs == 7 and pruned.batches == 3  # 3 + 3 + 1
    assert pauses == [0.25, 0.25, 0.25]
    assert pruned.longest_batch_s > 0


def test_it_stops_when_asked_between_batches(wf):
    for days in range(31, 38):
        make_run(wf, days)
    asked: list[int] = []
    pruned = prune_runs(  # asked to stop after the first batch
        CUTOFFS,
        batch_size=3,
        sleep=lambda s: None,
        stop=lambda: bool(asked.append(1)) or len(asked) > 1,
    )
    assert pruned.runs == 3 and len(remaining(wf)) == 4
    assert remaining(wf)[0] == (31, "succeeded")  # the oldest went first


def test_children_of_a_pruned_run_keep_their_row_without_the_link(wf):
    old = make_run(wf, 40)
    child = make_run(wf, 1, parent=old)
    prune_runs(CUTOFFS, sleep=lambda s: None)
    child.refresh_from_db()
    assert child.parent_id is None


def test_counting_deletes_nothing(wf):
    for days in (31, 32, 91):
        make_run(wf, days)
    make_run(wf, 91, RunStatus.FAILED)
    counted = count_runs(CUTOFFS)
    assert (counted.runs, counted.steps) == (4, 8)
    assert len(remaining(wf)) == 4


def test_forever_keeps_a_kind_of_run(wf):
    make_run(wf, 1000)
    make_run(wf, 1000, RunStatus.FAILED)
    keep_failed = Retention(30 * DAY, None).cutoffs(NOW)
    assert prune_runs(keep_failed, sleep=lambda s: None).runs == 1
    assert remaining(wf) == [(1000, "failed")]
    assert Cutoffs(None, None).keeps_everything


def test_the_settings(settings):
    settings.BUBBLE = {**settings.BUBBLE, "RUN_RETENTION": "2w", "FAILED_RUN_RETENTION": "forever"}
    assert retention() == Retention(14 * DAY, None)
    settings.BUBBLE = {**settings.BUBBLE, "RUN_RETENTION": "30 days"}
    with pytest.raises(ValueError, match="BUBBLE_RUN_RETENTION: '30 days' is not a duration"):
        retention()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("15m", 900), ("12H", 43200), (" 30d ", 2592000), ("8w", 4838400), (60, 60)],
)
def test_durations(text, expected):
    assert parse_duration(text, "X") == datetime.timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "30", "d", "1.5d", "-1d", "30 days", "0s", None, True])
def test_what_is_not_a_duration_is_refused_naming_the_setting(text):
    with pytest.raises(ValueError, match="^BUBBLE_X: "):
        parse_duration(text, "BUBBLE_X")


def test_forever_and_empty_are_retentions():
    assert parse_retention("forever", "X") is None and parse_retention("", "X") is None
    assert parse_retention("30d", "X") == 30 * DAY


def test_a_pruned_report_counts_by_model():
    pruned = Pruned()
    pruned.add("workflows.Run", 2)
    pruned.add("workflows.Run", 0)
    assert pruned.runs == 2 and pruned.steps == 0 and pruned.counts == {"workflows.Run": 2}


def test_runs_sharing_a_start_time_all_go_across_batches(wf):
    for _ in range(7):
        make_run(wf, 40)
    pruned = prune_runs(CUTOFFS, batch_size=3, sleep=lambda s: None)
    assert pruned.runs == 7 and remaining(wf) == []


def test_uncounted_runs_are_kept_until_the_run_statistics_count_them(wf):
    """Runs that finished after the statistics' watermark are not pruned, however old:
    pruning never takes a run out of the dashboard's and /metrics' figures."""
    from workflows.models import RunStatsWatermark

    RunStatsWatermark.objects.filter(pk=1).update(closed_until=NOW - 40 * DAY)
    make_run(wf, 45)  # counted: goes
    make_run(wf, 35)  # past the retention, finished after the watermark: kept
    prune_runs(CUTOFFS, sleep=lambda s: None)
    assert remaining(wf) == [(35, "succeeded")]
