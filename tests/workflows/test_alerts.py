"""Failure emails: one when a workflow starts failing repeatedly or a run goes too deep, one
per workflow per period however many runs fail, and nothing from the runs' data."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.utils import timezone

from workflows import alerts, engine
from workflows.choices import RunSource, RunStatus
from workflows.models import FailureAlert, Run

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.BUBBLE = {
        **settings.BUBBLE,
        "ALERT_FAILURES": 3,
        "ALERT_WINDOW": "10m",
        "ALERT_PERIOD": "1h",
        "ALERT_EMAILS": [],
    }
    return settings


@pytest.fixture
def sync(make_workflow):
    return make_workflow(
        "sync",
        parameters=[{"key": "api_key", "type": "text", "secret": True}],
        actions=[{"type": "log", "label": "Call", "message": "{{ 1 / 0 }}"}],
    )


def failed(workflow, at: datetime.datetime, code: str = "WORKFLOW_ERROR") -> Run:
    return Run.objects.create(
        workflow=workflow,
        workflow_name=workflow.name,
        status=RunStatus.FAILED,
        source=RunSource.API,
        error_code=code,
        error_message="step 1 (Call) failed: division by zero",
        params={"api_key": "********"},
        started_at=at,
        finished_at=at,
    )


def fail_at(workflow, at: datetime.datetime, django_capture_on_commit_callbacks, **kw) -> None:
    """A run of ``workflow`` fails for good at ``at`` (the injected clock)."""
    with django_capture_on_commit_callbacks(execute=True):
        alerts.run_failed(failed(workflow, at, **kw), 1, now=at)


def test_one_email_when_failures_reach_the_threshold_and_none_during_the_storm(
    sync, django_capture_on_commit_callbacks
):
    for minute in range(2):
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert mail.outbox == []
    for minute in range(2, 50):  # the third failure, then a storm within the hour
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    [email] = mail.outbox
    assert email.to == ["ops@example.com"]
    assert email.subject.endswith("Workflow sync is failing: 3 failed runs in 10 minutes")
    assert "at step 1" in email.body and "division by zero" in email.body


def test_the_next_email_comes_a_period_later_if_it_still_fails(
    sync, django_capture_on_commit_callbacks
):
    for minute in (0, 1, 2, 59):
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert len(mail.outbox) == 1
    for minute in (62, 63, 64):  # an hour after the first email, three failures again
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert len(mail.outbox) == 2


def test_failures_spread_wider_than_the_window_send_nothing(
    sync, django_capture_on_commit_callbacks
):
    for minute in (0, 11, 22, 33, 44):
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert mail.outbox == []


def test_each_workflow_has_its_own_alert(sync, make_workflow, django_capture_on_commit_callbacks):
    other = make_workflow("other", actions=[{"type": "log", "message": "x"}])
    for minute in range(3):
        for workflow in (sync, other):
            at = START + datetime.timedelta(minutes=minute)
            fail_at(workflow, at, django_capture_on_commit_callbacks)
    assert sorted(m.subject.split()[2] for m in mail.outbox) == ["other", "sync"]


def test_a_run_going_too_deep_is_one_email_at_once(sync, django_capture_on_commit_callbacks):
    for minute in range(5):
        at = START + datetime.timedelta(minutes=minute * 11)  # never 3 within 10 minutes
        fail_at(sync, at, django_capture_on_commit_callbacks, code="MAX_DEPTH_EXCEEDED")
    [email] = mail.outbox
    assert email.subject.endswith("Workflow sync went deeper than BUBBLE_MAX_DEPTH")
    assert "BUBBLE_MAX_DEPTH (10)" in email.body


def test_the_claim_lets_one_of_several_processes_send(sync):
    assert alerts._claim(alerts.FAILING, "sync", START, datetime.timedelta(hours=1))
    later = START + datetime.timedelta(minutes=30)
    assert not alerts._claim(alerts.FAILING, "sync", later, datetime.timedelta(hours=1))
    # a process that read no row before another made it: the unique insert refuses it
    FailureAlert.objects.filter(workflow_name="sync").update(sent_at=later)
    assert not alerts._claim(alerts.FAILING, "sync", later, datetime.timedelta(hours=1))
    assert FailureAlert.objects.count() == 1


def test_alert_emails_replace_the_admins_and_without_any_it_is_only_logged(
    sync, settings, caplog, django_capture_on_commit_callbacks
):
    settings.BUBBLE = {**settings.BUBBLE, "ALERT_EMAILS": ["a@example.com", "b@example.com"]}
    for minute in range(3):
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert mail.outbox[0].to == ["a@example.com", "b@example.com"]
    FailureAlert.objects.all().delete()
    settings.BUBBLE = {**settings.BUBBLE, "ALERT_EMAILS": []}
    settings.ADMINS = []
    with caplog.at_level(logging.WARNING, logger="workflows.alerts"):
        fail_at(sync, START + datetime.timedelta(minutes=3), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and "Workflow sync is failing" in caplog.text


def test_zero_failures_turns_the_failing_alert_off(
    sync, settings, django_capture_on_commit_callbacks
):
    settings.BUBBLE = {**settings.BUBBLE, "ALERT_FAILURES": 0}
    for minute in range(5):
        fail_at(
            sync, START + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks
        )
    assert mail.outbox == [] and not FailureAlert.objects.exists()


def test_failing_api_calls_send_it_and_never_a_parameters_value(
    sync, user, frozen_now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            result = engine.run(sync, {"api_key": "sk_live_very_secret_value"}, user)
            assert result.run.status == RunStatus.FAILED
    [email] = mail.outbox
    assert str(result.run.pk) not in email.body  # the third run's, not the last one's
    assert "sk_live_very_secret_value" not in email.body + email.subject
    assert "/admin/workflows/run/" in email.body


def test_a_broken_alert_setting_never_fails_the_run_and_is_logged(sync, user, settings, caplog):
    settings.BUBBLE = {**settings.BUBBLE, "ALERT_WINDOW": "ten minutes"}
    with caplog.at_level(logging.ERROR, logger="workflows.failures"):
        run = engine.run(sync, {"api_key": "k"}, user).run
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error_code
    assert "BUBBLE_ALERT_WINDOW: 'ten minutes' is not a duration" in caplog.text
