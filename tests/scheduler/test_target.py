"""Which workflow a scheduled run runs when it fires (scheduler/target.py, docs/versions.md):
the one of its name in the version serving it. A workflow deleted in development keeps its
scheduled runs and recurring events: they run from live while live has it, and fail for
good, saying why, once a deploy has removed it."""

from __future__ import annotations

import datetime

import pytest

from scheduler import services
from scheduler.dispatch import dispatch_due, reap_lost
from scheduler.execution import claim, execute_scheduled_run, run_claimed
from scheduler.loading import load_scheduled_run
from scheduler.models import RecurringEvent, ScheduledRun, Status
from workflows.choices import RunStatus
from workflows.models import Run, Workflow
from workflows.versions.deploy import deploy

HOUR = datetime.timedelta(hours=1)


def saying(word: str) -> dict:
    return {
        "actions": [{"type": "log", "message": word}, {"type": "return_data", "data": {"w": word}}]
    }


@pytest.fixture
def reminder(make_workflow) -> Workflow:
    """send-reminder, deployed as version 1 (with another workflow, which stays)."""
    make_workflow("keep", **saying("keep"))
    workflow = make_workflow("send-reminder", **saying("live"))
    deploy(message="1")
    return workflow


def delete_in_development(name: str = "send-reminder") -> None:
    Workflow.objects.get(name=name).delete()


def due(row: ScheduledRun) -> datetime.datetime:
    return row.due_at + datetime.timedelta(seconds=1)


def test_deleting_a_workflow_in_development_keeps_its_runs_and_events(reminder, customer, later):
    row = services.schedule(reminder, {}, later(hours=1))
    event = services.start_recurring(reminder, "every 1 hour", thing=customer)
    delete_in_development()
    row.refresh_from_db()
    event.refresh_from_db()
    assert (row.workflow_id, row.workflow_name, row.status) == (
        None,
        "send-reminder",
        Status.SCHEDULED,
    )
    assert (event.workflow_id, event.workflow_name, event.active) == (None, "send-reminder", True)
    assert str(row).startswith("send-reminder (deleted) at ")
    assert event.occurrences.filter(status=Status.SCHEDULED).count() == 1


def test_they_run_from_live_while_live_has_the_workflow(reminder, drain, later):
    row = services.schedule(reminder, {}, later(hours=1))
    delete_in_development()
    assert drain(due(row)) == [Status.SUCCEEDED]
    run = Run.objects.get(workflow_name="send-reminder")
    assert (run.result, run.version, run.workflow_id) == ({"w": "live"}, 1, None)


def test_after_a_deploy_without_it_they_fail_saying_why(reminder, drain, later):
    row = services.schedule(reminder, {}, later(hours=1))
    delete_in_development()
    deploy(message="2: without send-reminder")
    assert drain(due(row)) == [Status.FAILED]
    row.refresh_from_db()
    reason = (
        "workflow 'send-reminder' is not in the live version 2 (deleted in development and "
        "deployed)"
    )
    assert row.status == Status.FAILED and row.attempts == 1
    assert row.last_error == f"attempt 1: NOT_FOUND: {reason}"
    run = row.run
    assert (run.status, run.error_code, run.error_message, run.version, run.test) == (
        RunStatus.FAILED,
        "NOT_FOUND",
        reason,
        2,
        False,
    )
    assert execute_scheduled_run(str(row.pk)) == "skipped"  # never run twice
    assert drain(due(row) + HOUR) == []
    assert Run.objects.filter(workflow_name="send-reminder").count() == 1


def test_a_run_claimed_before_the_deploy_fails_once_from_running(reminder, later):
    row = services.schedule(reminder, {}, later(hours=1))
    dispatch_due(due(row), enqueue=False)
    claimed = claim(str(row.pk))
    assert claimed.status == Status.RUNNING
    delete_in_development()
    deploy(message="2")
    assert run_claimed(load_scheduled_run(row.pk)) == Status.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.run.error_code) == (Status.FAILED, 1, "NOT_FOUND")
    assert row.last_error.startswith("attempt 1: NOT_FOUND: workflow 'send-reminder' is not")


def test_a_recurring_event_of_it_fails_once_and_stops(reminder, customer, drain, frozen_now):
    event = services.start_recurring(
        reminder, "every 1 hour", thing=customer, start=frozen_now + HOUR
    )
    delete_in_development()
    deploy(message="2")
    assert drain(frozen_now + HOUR + datetime.timedelta(seconds=1)) == [Status.FAILED]
    event.refresh_from_db()
    assert (event.active, event.consecutive_failures, event.last_status) == (
        False,
        1,
        Status.FAILED,
    )
    assert "is not in the live version 2" in event.occurrences.get().last_error
    assert not event.occurrences.filter(status__in=(Status.SCHEDULED, Status.QUEUED)).exists()
    assert drain(frozen_now + 5 * HOUR) == []


def test_a_recurring_occurrence_runs_from_live_and_schedules_the_next(
    reminder, customer, drain, frozen_now
):
    event = services.start_recurring(
        reminder, "every 1 hour", thing=customer, start=frozen_now + HOUR
    )
    delete_in_development()
    assert drain(frozen_now + HOUR + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    upcoming = event.occurrences.get(status=Status.SCHEDULED)
    assert (upcoming.workflow_id, upcoming.workflow_name) == (None, "send-reminder")
    assert upcoming.due_at == frozen_now + 2 * HOUR


def test_a_test_runs_scheduled_run_fails_once_development_deleted_it(reminder, drain, later):
    row = services.schedule(reminder, {}, later(hours=1), test=True)
    delete_in_development()
    assert drain(due(row)) == [Status.FAILED]
    row.refresh_from_db()
    assert row.last_error == (
        "attempt 1: NOT_FOUND: workflow 'send-reminder' was deleted from the development version"
    )
    assert (row.run.test, row.run.version) == (True, None)


def test_a_workflow_not_deployed_yet_fails_its_live_runs_saying_so(reminder, make_workflow, drain):
    """Scheduled from the admin (not a test), it runs live, which lacks it: it fails once,
    asking for a deploy, rather than being handed to a worker again and again."""
    fresh = make_workflow("fresh", **saying("draft"))
    row = services.schedule(fresh, {})
    assert drain(due(row)) == [Status.FAILED]
    row.refresh_from_db()
    assert row.last_error == (
        "attempt 1: NOT_FOUND: workflow 'fresh' is not in the live version 1: deploy it first"
    )


def test_a_deploy_without_it_stops_its_own_schedule(
    make_workflow, django_capture_on_commit_callbacks, later
):
    nightly = {"schedule": {"every": "1 day", "start": later(hours=1).isoformat()}}
    with django_capture_on_commit_callbacks(execute=True):
        make_workflow("nightly", **nightly, **saying("night"))
        make_workflow("keep", **saying("keep"))
        deploy(message="1")
    event = RecurringEvent.objects.get(active=True)
    delete_in_development("nightly")
    event.refresh_from_db()
    assert (event.active, event.workflow_id) == (True, None)  # live still runs it
    with django_capture_on_commit_callbacks(execute=True):
        deploy(message="2: without nightly")
    event.refresh_from_db()
    assert event.active is False
    assert event.occurrences.get().status == Status.CANCELLED


def test_a_workflow_made_again_replaces_the_event_the_deleted_one_left(
    reminder, make_workflow, customer
):
    old = services.start_recurring(reminder, "every 1 hour", thing=customer)
    delete_in_development()
    again = make_workflow("send-reminder", **saying("again"))
    new = services.start_recurring(again, "every 1 hour", thing=customer)
    old.refresh_from_db()
    assert old.active is False
    assert list(RecurringEvent.objects.filter(active=True)) == [new]


def test_the_name_kept_is_the_one_at_deletion(reminder, later):
    """A workflow renamed since its runs were scheduled: they keep its last name, the
    one development's row had when it went."""
    row = services.schedule(reminder, {}, later(hours=1))
    reminder.name = "remind-customer"
    reminder.save()
    delete_in_development("remind-customer")
    row.refresh_from_db()
    assert (row.workflow_id, row.workflow_name) == (None, "remind-customer")


def test_the_reaper_takes_back_a_lost_run_of_a_deleted_workflow(reminder, later, drain):
    row = services.schedule(reminder, {}, later(hours=1))
    dispatch_due(due(row), enqueue=False)
    claim(str(row.pk), now=due(row))
    delete_in_development()
    assert reap_lost(now=due(row) + 2 * HOUR) == 1  # retried as after any lost worker
    row.refresh_from_db()
    assert (row.status, row.workflow_name) == (Status.SCHEDULED, "send-reminder")
    assert drain(due(row) + 3 * HOUR) == [Status.SUCCEEDED]  # live still has it
