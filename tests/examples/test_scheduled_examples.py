"""The seeds' scheduled scenarios, end to end through the scheduler (run in-process)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from examples.models import Order, Profile, Setting, VerificationCode
from examples.services import example_workflow_files
from scheduler.models import RecurringEvent, ScheduledRun, Status
from workflows import engine
from workflows.choices import RunStatus
from workflows.models import Run, Workflow
from workflows.transfer import import_definitions


def run(name, params, actor=None):
    return engine.run(Workflow.objects.get(name=name), params, actor)


def test_review_request_seven_days_after_payment(
    examples, order, user, drain, later, mailoutbox, frozen_now
):
    result = run("process-order", {"order": order.pk}, user)
    review = ScheduledRun.objects.get(workflow__name="send-review-request")
    assert review.actor == user and review.scheduled_by == result.run
    assert review.due_at == frozen_now + datetime.timedelta(days=7)
    assert drain(later(days=6)) == []
    assert drain(later(days=7, seconds=1)) == [Status.SUCCEEDED]
    order.refresh_from_db()
    assert order.review_requested_at is not None


def test_verify_delete_fifteen_minutes_after_verify_send(examples, drain, later, frozen_now):
    run("verify_send", {"email": "someone@example.com"})
    assert VerificationCode.objects.count() == 1
    (scheduled,) = ScheduledRun.objects.filter(workflow__name="verify_delete")
    assert scheduled.due_at == frozen_now + datetime.timedelta(minutes=15)
    assert drain(later(minutes=14)) == []
    assert drain(later(minutes=15, seconds=1)) == [Status.SUCCEEDED]
    assert not VerificationCode.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_birthday_email_is_a_yearly_event_on_the_users_birthday(user, drain, mailoutbox):
    import_definitions(example_workflow_files())
    Profile.objects.create(user=user, birthday=datetime.date(1990, 4, 12))
    assert drain() == [Status.SUCCEEDED]  # the trigger ran and scheduled the event
    event = RecurringEvent.objects.get(workflow__name="happy-birthday", active=True)
    assert (event.data_type, event.thing_id) == ("auth.User", str(user.pk))
    (upcoming,) = event.occurrences.filter(status=Status.SCHEDULED)
    local = timezone.localtime(upcoming.due_at)
    assert (local.month, local.day, local.hour) == (4, 12, 9)
    assert timezone.now() < upcoming.due_at <= timezone.now() + datetime.timedelta(days=366)

    # on the day, the email goes out and next year's is scheduled (daily-cleanup runs too)
    assert set(drain(upcoming.due_at)) == {Status.SUCCEEDED}
    assert [m.subject for m in mailoutbox] == ["Happy birthday, alice!"]
    (following,) = event.occurrences.filter(status=Status.SCHEDULED)
    assert timezone.localtime(following.due_at).year == local.year + 1

    # a new birthday replaces the event; no birthday stops it
    profile = Profile.objects.get(user=user)
    profile.birthday = datetime.date(1990, 6, 1)
    profile.save()
    drain()
    replaced = RecurringEvent.objects.get(workflow__name="happy-birthday", active=True)
    assert replaced.pk != event.pk
    profile.birthday = None
    profile.save()
    drain()
    assert not RecurringEvent.objects.filter(active=True, workflow__name="happy-birthday")
    assert not ScheduledRun.objects.filter(
        workflow__name="happy-birthday", status=Status.SCHEDULED
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_daily_cleanup_recurs_and_obeys_its_stop_flag(drain):
    import_definitions(example_workflow_files())
    flag = Setting.objects.create(name="daily-cleanup")
    event = RecurringEvent.objects.get(workflow__name="daily-cleanup", active=True)
    (upcoming,) = event.occurrences.filter(status=Status.SCHEDULED)
    local = upcoming.due_at.astimezone(datetime.timezone.utc)
    assert (local.hour, local.minute) == (3, 0)

    old = VerificationCode.objects.create(destination="a@example.com", code="1")
    VerificationCode.objects.filter(pk=old.pk).update(
        created_at=upcoming.due_at - datetime.timedelta(days=2)
    )
    assert drain(upcoming.due_at) == [Status.SUCCEEDED]
    assert not VerificationCode.objects.exists()

    # switched off: the next day's run does nothing, and the day after runs again
    flag.should_run = False
    flag.save()
    (second,) = event.occurrences.filter(status=Status.SCHEDULED)
    assert second.due_at == upcoming.due_at + datetime.timedelta(days=1)
    VerificationCode.objects.create(destination="b@example.com", code="2")
    VerificationCode.objects.update(created_at=second.due_at - datetime.timedelta(days=2))
    assert drain(second.due_at) == [Status.SUCCEEDED]
    assert Run.objects.filter(workflow_name="daily-cleanup").first().status == (
        RunStatus.CONDITION_NOT_MET
    )
    assert VerificationCode.objects.count() == 1
    assert Order.objects.count() == 0  # nothing else touched
