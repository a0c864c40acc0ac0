"""Recurring events: bound to a thing (schedule_recurring) or a workflow's own schedule."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from scheduler.models import Origin, RecurringEvent, ScheduledRun, Status
from workflows import engine
from workflows.exceptions import DefinitionError

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def tick(make_workflow):
    return make_workflow(
        "tick",
        parameters=[{"key": "customer", "type": "thing", "data_type": "examples.Customer"}],
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.customer }}",
                "changes": {"name": "{{ params.customer.name }}+"},
            }
        ],
    )


@pytest.fixture
def start_ticking(make_workflow, tick):
    return make_workflow(
        "start-ticking",
        parameters=[
            {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
            {"key": "frequency", "type": "text", "optional": True, "default": "every 1 hour"},
            {"key": "start", "type": "date"},
            {"key": "end", "type": "date", "optional": True},
        ],
        actions=[
            {
                "id": "event",
                "type": "schedule_recurring",
                "workflow": "tick",
                "thing": "{{ params.customer }}",
                "frequency": "{{ params.frequency }}",
                "start": "{{ params.start }}",
                "end": "{{ params.end }}",
                "params": {"customer": "{{ params.customer }}"},
            },
            {"type": "return_data", "data": {"next": "{{ steps.event.next_due_at }}"}},
        ],
    )


@pytest.fixture
def stop_ticking(make_workflow, tick):
    return make_workflow(
        "stop-ticking",
        parameters=[{"key": "customer", "type": "thing", "data_type": "examples.Customer"}],
        actions=[
            {
                "id": "n",
                "type": "cancel_recurring",
                "workflow": "tick",
                "thing": "{{ params.customer }}",
            },
            {"type": "return_data", "data": {"stopped": "{{ steps.n }}"}},
        ],
    )


def pending(event):
    return event.occurrences.filter(status=Status.SCHEDULED).order_by("due_at")


def test_schedule_recurring_starts_at_start(start_ticking, customer, user, later):
    start = later(minutes=10)
    result = engine.run(start_ticking, {"customer": customer.pk, "start": start}, user)
    assert result.ok, result.error
    event = RecurringEvent.objects.get()
    assert (event.data_type, event.thing_id) == ("examples.Customer", str(customer.pk))
    assert event.frequency == {"every": "1 hour"} and event.actor == user
    (first,) = pending(event)
    assert first.due_at == start and first.origin == Origin.RECURRING
    assert result.response["next"] == start.isoformat()


def test_occurrences_stay_on_the_grid_however_late(
    start_ticking, customer, user, drain, frozen_now
):
    start = frozen_now - datetime.timedelta(seconds=30)
    engine.run(start_ticking, {"customer": customer.pk, "start": start}, user)
    event = RecurringEvent.objects.get()
    # the first run happens 20 minutes late: the next is still start + 1 h
    assert drain(start + datetime.timedelta(minutes=20)) == [Status.SUCCEEDED]
    (second,) = pending(event)
    assert second.due_at == start + HOUR
    assert drain(start + HOUR + datetime.timedelta(minutes=59)) == [Status.SUCCEEDED]
    (third,) = pending(event)
    assert third.due_at == start + 2 * HOUR
    # down for 5 hours: the one pending runs once, missed ones are not replayed
    assert drain(start + 7 * HOUR + datetime.timedelta(minutes=5)) == [Status.SUCCEEDED]
    (fourth,) = pending(event)
    assert fourth.due_at == start + 8 * HOUR
    customer.refresh_from_db()
    assert customer.name == "Ann+++"
    event.refresh_from_db()
    assert event.occurrences_run == 3 and event.last_status == Status.SUCCEEDED


def test_scheduling_again_replaces_and_cancel_stops(
    start_ticking, stop_ticking, customer, user, later
):
    engine.run(start_ticking, {"customer": customer.pk, "start": later(minutes=5)}, user)
    engine.run(
        start_ticking,
        {"customer": customer.pk, "start": later(minutes=30), "frequency": "0 3 * * *"},
        user,
    )
    active = RecurringEvent.objects.get(active=True)
    assert active.frequency == {"cron": "0 3 * * *"}
    assert ScheduledRun.objects.filter(status=Status.SCHEDULED).count() == 1
    assert ScheduledRun.objects.filter(status=Status.CANCELLED).count() == 1
    result = engine.run(stop_ticking, {"customer": customer.pk}, user)
    assert result.response == {"stopped": 1}
    assert not RecurringEvent.objects.filter(active=True).exists()
    assert not ScheduledRun.objects.filter(status=Status.SCHEDULED).exists()
    assert engine.run(stop_ticking, {"customer": customer.pk}, user).response == {"stopped": 0}


def test_the_event_ends_after_its_end(start_ticking, customer, user, drain, frozen_now):
    start = frozen_now - datetime.timedelta(seconds=30)
    engine.run(
        start_ticking,
        {
            "customer": customer.pk,
            "start": start,
            "end": start + 90 * datetime.timedelta(minutes=1),
        },
        user,
    )
    assert drain(start + datetime.timedelta(seconds=30)) == [Status.SUCCEEDED]
    assert drain(start + HOUR) == [Status.SUCCEEDED]
    event = RecurringEvent.objects.get()
    assert not event.active and not pending(event).exists()


def test_a_failing_recurring_event_shows_as_failing(
    make_workflow, customer, user, drain, frozen_now
):
    from scheduler import services

    broken = make_workflow("broken", actions=[{"type": "log", "message": "{{ 1 / 0 }}"}])
    start = frozen_now - datetime.timedelta(seconds=30)
    event = services.start_recurring(
        broken, "every 1 hour", thing=customer, start=start, actor=user
    )
    assert drain(start + datetime.timedelta(seconds=30)) == [Status.FAILED]
    assert drain(start + HOUR) == [Status.FAILED]
    event.refresh_from_db()
    assert event.failing and event.consecutive_failures == 2
    assert event.last_status == Status.FAILED and event.active  # it keeps going
    assert pending(event).count() == 1


def test_bad_frequency_is_refused_at_save_or_run(make_workflow, start_ticking, customer, user):
    with pytest.raises(DefinitionError, match="five-field cron"):
        make_workflow(
            "bad",
            actions=[
                {
                    "type": "schedule_recurring",
                    "workflow": "tick",
                    "thing": "{{ current_user }}",
                    "frequency": "often",
                    "params": {"customer": "{{ current_user }}"},
                }
            ],
        )
    result = engine.run(
        start_ticking,
        {"customer": customer.pk, "start": timezone.now(), "frequency": "every 0 hours"},
        user,
    )
    assert "frequency" in result.error.message
    assert not RecurringEvent.objects.exists()


def test_a_workflow_schedule_runs_it(make_workflow, django_capture_on_commit_callbacks, drain):
    start = timezone.now() + HOUR
    with django_capture_on_commit_callbacks(execute=True):
        wf = make_workflow(
            "nightly",
            schedule={"every": "1 day", "start": start.isoformat()},
            actions=[{"type": "log", "message": "cleaning"}],
        )
    event = RecurringEvent.objects.get(workflow=wf)
    assert event.thing_id == "" and pending(event).get().due_at == start
    assert drain(start) == [Status.SUCCEEDED]
    assert pending(event).get().due_at == start + datetime.timedelta(days=1)

    # an unchanged save keeps the event; a new schedule replaces it; none removes it
    with django_capture_on_commit_callbacks(execute=True):
        wf.description = "touched"
        wf.save()
    assert RecurringEvent.objects.get(active=True).pk == event.pk
    with django_capture_on_commit_callbacks(execute=True):
        wf.schedule = {"cron": "0 3 * * *"}
        wf.save()
    assert RecurringEvent.objects.get(active=True).frequency == {"cron": "0 3 * * *"}
    with django_capture_on_commit_callbacks(execute=True):
        wf.schedule = None
        wf.save()
    assert not RecurringEvent.objects.filter(active=True).exists()
    assert not ScheduledRun.objects.filter(status=Status.SCHEDULED).exists()


def test_bubbles_words_schedule_like_every_1_unit(
    start_ticking, make_workflow, customer, user, later, django_capture_on_commit_callbacks
):
    start = later(minutes=10)
    result = engine.run(
        start_ticking, {"customer": customer.pk, "start": start, "frequency": " Weekly "}, user
    )
    assert result.ok, result.error
    event = RecurringEvent.objects.get()
    assert event.frequency == {"every": "1 week"}
    assert pending(event).get().due_at == start

    # a literal word is checked when saved, like any frequency
    make_workflow(
        "quarterly-tick",
        actions=[
            {
                "type": "schedule_recurring",
                "workflow": "tick",
                "thing": "{{ current_user }}",
                "frequency": "quarterly",
                "params": {"customer": "{{ current_user }}"},
            }
        ],
    )
    with pytest.raises(DefinitionError, match="daily, weekly, monthly, quarterly, yearly"):
        make_workflow("x", schedule={"every": "fortnightly"})

    # a workflow's own schedule: "daily" is stored as every 1 day, so rewriting it so
    # keeps the same event
    with django_capture_on_commit_callbacks(execute=True):
        wf = make_workflow("nightly", schedule={"every": "daily", "start": start.isoformat()})
    own = RecurringEvent.objects.get(workflow=wf)
    assert own.frequency == {"every": "1 day"}
    with django_capture_on_commit_callbacks(execute=True):
        wf.schedule = {"every": "1 day", "start": start.isoformat()}
        wf.save()
    assert RecurringEvent.objects.get(workflow=wf, active=True).pk == own.pk


def test_schedule_is_validated_when_saved(make_workflow):
    with pytest.raises(DefinitionError, match="schedule"):
        make_workflow("x", schedule={"every": "fortnightly"})
    with pytest.raises(DefinitionError, match="only API workflows run on a schedule"):
        make_workflow("y", kind="custom_event", schedule={"every": "1 day"})


def test_a_start_long_past_waits_for_its_next_turn(tick, customer, user):
    from scheduler import services

    birthday = datetime.datetime(1990, 5, 1, 9, 0, tzinfo=datetime.timezone.utc)
    event = services.start_recurring(
        tick,
        "every 1 year",
        thing=customer,
        start=birthday,
        params={"customer": customer.pk},
        actor=user,
    )
    (first,) = pending(event)
    now = timezone.now()
    assert first.due_at > now and first.due_at - now <= datetime.timedelta(days=366)
    assert (first.due_at.month, first.due_at.day, first.due_at.hour) == (5, 1, 9)


@pytest.mark.parametrize("how", ["by id", "by filter"])
def test_cancelling_an_occurrence_skips_it_and_the_event_goes_on(
    make_workflow, customer, user, frozen_now, how
):
    """The Scheduler log's Cancel on a recurring event's occurrence skips that one; the
    event's next occurrence is scheduled (stopping the event is "Stop recurring event")."""
    from scheduler import services

    tick = make_workflow("tick", actions=[{"type": "log", "message": "tick"}])
    start = frozen_now + datetime.timedelta(minutes=5)
    event = services.start_recurring(tick, "every 1 hour", thing=customer, start=start, actor=user)
    (first,) = pending(event)
    if how == "by id":
        assert services.cancel([first.pk]) == 1
    else:
        assert services.cancel_matching(ScheduledRun.objects.filter(workflow=tick)) == 1
    first.refresh_from_db()
    assert first.status == Status.CANCELLED
    (following,) = pending(event)
    assert following.due_at == start + HOUR
    event.refresh_from_db()
    assert event.active
    # cancelled again: still one coming, never two
    assert services.cancel([first.pk]) == 0
    assert pending(event).count() == 1
