"""Retrying a failed (or missed) scheduled run now: its button, the list action, and who may."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduler import services
from scheduler.models import Origin, ScheduledRun, Status
from workflows.exceptions import InvalidParameter

from .conftest import CHANGELIST, CONFIRM, asked, at, confirm_data, message_texts

SCHEDULE = "scheduler.add_scheduledrun"
VIEW = "scheduler.view_scheduledrun"
RUN_AS = "scheduler.schedule_as_other_user"


def retry_url(row) -> str:
    return reverse("admin:scheduler_scheduledrun_retry", args=[row.pk])


def page(row) -> str:
    return reverse("admin:scheduler_scheduledrun_change", args=[row.pk])


@pytest.fixture
def failed(sched, user):
    return sched(
        status=Status.FAILED,
        due_at=at(hours=-1),
        actor=user,
        params={"n": 1},
        context={"thing": {"_type": "examples.Order", "_id": 7}},
        depth=2,
        last_error="TIMEOUT: too slow",
        attempts=3,
    )


def test_retry_asks_then_makes_a_new_run_due_now(root_client, failed, user, frozen_now):
    detail = root_client.get(page(failed)).content.decode()
    assert f'href="{retry_url(failed)}"' in detail

    confirm = root_client.get(retry_url(failed))
    assert asked(confirm) == "Retry this failed run of send-reminder now?"
    assert "runs as alice with the same parameters" in confirm.context["details"][0]
    assert "It failed with: TIMEOUT: too slow" in confirm.context["details"]
    assert ScheduledRun.objects.count() == 1  # asking changes nothing

    response = root_client.post(retry_url(failed), CONFIRM)
    new = ScheduledRun.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == page(new)
    assert (new.workflow, new.params, new.context, new.actor, new.depth) == (
        failed.workflow,
        failed.params,
        failed.context,
        user,
        failed.depth,
    )
    assert new.status == Status.SCHEDULED and new.due_at == frozen_now and new.attempts == 0
    assert new.origin == Origin.ADMIN and new.retry_of == failed
    failed.refresh_from_db()
    assert failed.status == Status.FAILED  # the old run keeps its final status

    # each page links the other
    assert page(failed) in root_client.get(page(new)).content.decode()
    assert page(new) in root_client.get(page(failed)).content.decode()


def test_a_retried_run_runs(root_client, make_workflow, drain):
    wf = make_workflow("flaky", actions=[{"type": "log", "message": "ok"}])
    old = services.schedule(wf, {}, at(minutes=-5))
    ScheduledRun.objects.filter(pk=old.pk).update(status=Status.FAILED)
    old.refresh_from_db()
    new = services.retry(old)
    assert drain() == [Status.SUCCEEDED]
    new.refresh_from_db()
    assert new.status == Status.SUCCEEDED and new.run is not None


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.RUNNING, Status.SUCCEEDED])
def test_only_failed_or_missed_runs_are_retried(root_client, sched, status):
    row = sched(status=status)
    assert retry_url(row) not in root_client.get(page(row)).content.decode()
    response = root_client.post(retry_url(row), CONFIRM, follow=True)
    assert message_texts(response) == [
        f"Only a failed or missed run can be retried; this one is {status}."
    ]
    assert ScheduledRun.objects.count() == 1
    with pytest.raises(InvalidParameter):
        services.retry(row)


def test_a_missed_run_can_be_retried(root_client, sched):
    row = sched(status=Status.MISSED, due_at=at(hours=-3))
    assert asked(root_client.get(retry_url(row))) == "Retry this missed run of send-reminder now?"
    root_client.post(retry_url(row), CONFIRM)
    assert ScheduledRun.objects.filter(retry_of=row).count() == 1


def test_retrying_needs_the_schedule_permission(staff_client, failed):
    viewer = staff_client(VIEW, "scheduler.change_scheduledrun")
    assert retry_url(failed) not in viewer.get(page(failed)).content.decode()
    assert viewer.get(retry_url(failed)).status_code == 403
    assert viewer.post(retry_url(failed), CONFIRM).status_code == 403
    assert ScheduledRun.objects.count() == 1

    scheduler = staff_client(VIEW, SCHEDULE, RUN_AS)
    assert scheduler.post(retry_url(failed), CONFIRM).status_code == 302
    assert ScheduledRun.objects.count() == 2


def test_retrying_another_users_run_needs_the_run_as_permission(staff_client, failed):
    """A retry runs as the failed run's user: without the run-as permission it is refused."""
    scheduler = staff_client(VIEW, SCHEDULE)
    response = scheduler.post(retry_url(failed), CONFIRM, follow=True)
    assert message_texts(response) == [
        "This run cannot be retried: it runs as alice: retrying it needs the permission to "
        "schedule as another user."
    ]
    assert ScheduledRun.objects.count() == 1


def test_ones_own_run_is_retried_without_it_unless_it_ignores_privacy(staff_client, sched):
    scheduler = staff_client(VIEW, SCHEDULE)
    me = scheduler.session["_auth_user_id"]
    own = sched(status=Status.FAILED, actor_id=me)
    assert scheduler.post(retry_url(own), CONFIRM).status_code == 302
    assert ScheduledRun.objects.filter(retry_of=own).count() == 1
    privileged = sched(status=Status.FAILED, actor_id=me, ignore_privacy=True)
    response = scheduler.post(retry_url(privileged), CONFIRM, follow=True)
    assert "it ignores privacy rules" in message_texts(response)[-1]
    assert not ScheduledRun.objects.filter(retry_of=privileged).exists()


def test_a_run_of_an_inactive_user_is_never_retried(root_client, failed, user):
    user.is_active = False
    user.save()
    response = root_client.post(retry_url(failed), CONFIRM, follow=True)
    assert message_texts(response) == [
        "This run cannot be retried: it runs as alice, who is no longer active."
    ]
    with pytest.raises(InvalidParameter, match="no longer active"):
        services.retry(failed)
    assert ScheduledRun.objects.count() == 1


def test_a_run_is_retried_once_unless_its_retry_failed(root_client, failed):
    root_client.post(retry_url(failed), CONFIRM)
    retry = ScheduledRun.objects.get(retry_of=failed)
    response = root_client.post(retry_url(failed), CONFIRM, follow=True)
    assert message_texts(response)[-1] == (
        f"This run cannot be retried: it was retried already (scheduled run {retry.pk})."
    )
    ScheduledRun.objects.filter(pk=retry.pk).update(status=Status.FAILED)
    root_client.post(retry_url(failed), CONFIRM)
    assert ScheduledRun.objects.filter(retry_of=failed).count() == 2


def test_retry_selected_asks_and_retries_only_failed_or_missed(
    root_client, sched, failed, other_wf
):
    missed = sched(status=Status.MISSED, workflow=other_wf)
    done = sched(status=Status.SUCCEEDED)
    data = {
        "action": "retry_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(r.pk) for r in (failed, missed, done)],
    }
    confirm = root_client.post(CHANGELIST + "?status=all", data)
    assert asked(confirm) == (
        "Retry 2 failed or missed runs (1 of nightly-report, 1 of send-reminder) now?"
    )
    assert ScheduledRun.objects.count() == 3
    response = root_client.post(confirm.context["form_action"], confirm_data(confirm), follow=True)
    assert message_texts(response) == ["Retrying 2 runs: each is due now."]
    assert set(
        ScheduledRun.objects.filter(retry_of__isnull=False).values_list("retry_of", flat=True)
    ) == {
        failed.pk,
        missed.pk,
    }


def test_retrying_a_selection_asks_the_earlier_retries_once(
    root_client, sched, django_assert_max_num_queries
):
    """Whether each selected run was retried already is one query, not one per run."""
    rows = [sched(status=Status.FAILED) for _ in range(20)]
    data = {
        "action": "retry_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(r.pk) for r in rows],
        "confirm": "yes",
    }
    root_client.post(CHANGELIST + "?status=all", data)
    assert ScheduledRun.objects.filter(retry_of__isnull=False).count() == 20
    again = sched(status=Status.FAILED)
    ScheduledRun.objects.filter(retry_of__isnull=False).update(status=Status.SUCCEEDED)
    data[helpers.ACTION_CHECKBOX_NAME] = [str(r.pk) for r in (*rows, again)]
    with CaptureQueriesContext(connection) as queries:
        response = root_client.post(CHANGELIST + "?status=all", data, follow=True)
    assert "Retrying 1 run: each is due now." in message_texts(response)
    lookups = [q for q in queries.captured_queries if '"retry_of_id" IN' in q["sql"]]
    assert len(lookups) == 1
