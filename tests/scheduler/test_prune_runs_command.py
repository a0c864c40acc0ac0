"""``manage.py prune_runs``: the settings' ages or its own, a dry run that changes nothing,
and a clear error for an age that is not one."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scheduler.models import ScheduledRun, Status
from workflows.choices import RunSource, RunStatus
from workflows.models import Run, StepRun


@pytest.fixture(autouse=True)
def all_runs_counted(db):
    """The run statistics have counted every run (pruning leaves uncounted runs alone:
    test_uncounted_runs_are_kept in tests/workflows/test_retention.py)."""
    from workflows.models import RunStatsWatermark

    RunStatsWatermark.objects.update_or_create(
        pk=1, defaults={"closed_until": timezone.make_aware(datetime.datetime(2100, 1, 1))}
    )


pytestmark = pytest.mark.django_db


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_runs", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def history(make_workflow):
    wf = make_workflow("sync", actions=[{"type": "log", "message": "x"}])
    for days, status in ((10, "succeeded"), (40, "succeeded"), (40, "failed"), (100, "failed")):
        at = timezone.now() - datetime.timedelta(days=days)
        run = Run.objects.create(
            workflow=wf,
            workflow_name="sync",
            status=status,
            source=RunSource.API,
            started_at=at,
            finished_at=at,
        )
        StepRun.objects.create(run=run, position=1, action_type="log", status="succeeded")
    at = timezone.now() - datetime.timedelta(days=40)
    ScheduledRun.objects.create(workflow=wf, due_at=at, status=Status.SUCCEEDED, finished_at=at)
    return wf


def ages() -> list[tuple[int, str]]:
    now = timezone.now()
    return sorted(((now - r.started_at).days, r.status) for r in Run.objects.all())


def test_the_settings_ages_by_default(history):
    said = prune()
    assert said.startswith(
        "Deleted 2 runs (2 steps) and 1 scheduled runs: finished older than 30 days, "
        "failed ones older than 90 days; "
    )
    assert ages() == [(10, "succeeded"), (40, "failed")]
    assert not ScheduledRun.objects.exists()


def test_a_dry_run_counts_and_changes_nothing(history):
    said = prune("--older-than", "30d", "--dry-run")
    assert said == (
        "Would delete 2 runs (2 steps) and 1 scheduled runs: finished older than 30 days, "
        "failed ones older than 90 days. Deleted nothing."
    )
    assert len(ages()) == 4 and StepRun.objects.count() == 4 and ScheduledRun.objects.exists()


def test_its_own_ages_failed_ones_never_younger_than_the_others(history):
    prune("--older-than", "5d")  # failed ones: the setting's 90 days, more than 5
    assert ages() == [(40, "failed")]
    prune("--older-than", "5d", "--failed-older-than", "1w")
    assert ages() == []


def test_with_retention_forever_it_needs_an_age(history, settings):
    settings.BUBBLE = {**settings.BUBBLE, "RUN_RETENTION": "forever", "FAILED_RUN_RETENTION": ""}
    with pytest.raises(CommandError, match="keep everything .forever.: give --older-than"):
        prune()
    prune("--older-than", "35d")  # failed ones: kept forever, as the setting says
    assert ages() == [(10, "succeeded"), (40, "failed"), (100, "failed")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "30"], "--older-than: '30' is not a duration; write a whole number"),
        (["--older-than", "thirty days"], "--older-than: 'thirty days' is not a duration"),
        (["--older-than", "0d"], "--older-than: '0d' is too short; at least 1s"),
        (["--failed-older-than", "1y"], "--failed-older-than: '1y' is not a duration"),
    ],
)
def test_an_age_that_is_not_one_is_refused_naming_the_option(history, args, message):
    with pytest.raises(CommandError, match=message):
        prune(*args)
    assert len(ages()) == 4


def test_a_broken_setting_is_named_unless_both_ages_are_given(history, settings):
    settings.BUBBLE = {**settings.BUBBLE, "RUN_RETENTION": "a month"}
    with pytest.raises(CommandError, match="BUBBLE_RUN_RETENTION: 'a month' is not a duration"):
        prune("--older-than", "30d")
    prune("--older-than", "30d", "--failed-older-than", "30d")
    assert ages() == [(10, "succeeded")]


def test_running_runs_stay(history):
    at = timezone.now() - datetime.timedelta(days=400)
    Run.objects.create(
        workflow_name="sync", status=RunStatus.RUNNING, source=RunSource.SCHEDULED, started_at=at
    )
    prune("--older-than", "1s", "--failed-older-than", "1s")
    assert ages() == [(400, "running")]
