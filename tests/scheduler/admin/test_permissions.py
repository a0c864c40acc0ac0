"""Who may see the Scheduler, cancel runs, and pause or resume."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from scheduler.models import Pause, ScheduledRun, Status

from .conftest import CHANGELIST, CONFIRM, at

PAUSE = reverse("admin:scheduler_scheduledrun_pause")
RESUME = reverse("admin:scheduler_scheduledrun_resume")
PAST_DUE = reverse("admin:scheduler_scheduledrun_cancel_past_due")
VIEW = "scheduler.view_scheduledrun"
CHANGE = "scheduler.change_scheduledrun"


def cancel_data(run) -> dict:
    return {
        "action": "cancel_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(run.pk)],
    }


@pytest.fixture
def late(sched):
    return sched(due_at=at(minutes=-10))


def status(run) -> str:
    return ScheduledRun.objects.get(pk=run.pk).status


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_outsiders_are_sent_to_the_login_page(user, late, who):
    client = Client()
    if who == "not staff":
        client.force_login(user)
    for url in (CHANGELIST, PAST_DUE):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    for url in (
        PAST_DUE,
        PAUSE,
        CHANGELIST,
        reverse("admin:scheduler_scheduledrun_cancel", args=[late.pk]),
    ):
        response = client.post(url, cancel_data(late))
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert status(late) == Status.SCHEDULED
    assert not Pause.objects.exists()


def test_staff_without_permissions_get_403(staff_client, late):
    client = staff_client()
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(PAST_DUE).status_code == 403
    assert client.post(PAST_DUE, CONFIRM).status_code == 403
    assert client.post(PAUSE, CONFIRM).status_code == 403
    assert client.post(RESUME, CONFIRM).status_code == 403
    assert client.get(PAUSE).status_code == 403  # not even the question
    assert client.get(reverse("admin:scheduler_recurringevent_changelist")).status_code == 403
    assert status(late) == Status.SCHEDULED and not Pause.objects.exists()


def test_viewers_see_but_cannot_cancel_or_pause(staff_client, late):
    client = staff_client(VIEW)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert PAST_DUE not in html and 'id="sched-pause-scheduler"' not in html
    action_form = response.context["action_form"]
    assert action_form is None or "cancel_selected" not in dict(
        action_form.fields["action"].choices
    )
    client.post(CHANGELIST, {**cancel_data(late), **CONFIRM})
    assert client.post(PAST_DUE, CONFIRM).status_code == 403
    cancel_one = reverse("admin:scheduler_scheduledrun_cancel", args=[late.pk])
    assert client.post(cancel_one, CONFIRM).status_code == 403
    assert client.get(cancel_one).status_code == 403
    detail = client.get(reverse("admin:scheduler_scheduledrun_change", args=[late.pk]))
    assert detail.status_code == 200 and cancel_one not in detail.content.decode()
    assert client.post(PAUSE, CONFIRM).status_code == 403
    assert status(late) == Status.SCHEDULED and not Pause.objects.exists()


def test_change_permission_cancels_but_does_not_pause(staff_client, sched, late):
    client = staff_client(VIEW, CHANGE)
    assert PAST_DUE in client.get(CHANGELIST).content.decode()
    other = sched()
    assert client.post(CHANGELIST, cancel_data(other)).status_code == 200  # asks first
    assert client.post(CHANGELIST, {**cancel_data(other), **CONFIRM}).status_code == 302
    assert status(other) == Status.CANCELLED
    assert client.post(PAST_DUE, CONFIRM).status_code == 302
    assert status(late) == Status.CANCELLED
    assert client.post(PAUSE, CONFIRM).status_code == 403


def test_pausing_and_resuming_need_their_own_permissions(staff_client):
    pauser = staff_client(VIEW, "scheduler.add_pause")
    assert 'id="sched-pause-scheduler"' in pauser.get(CHANGELIST).content.decode()
    assert pauser.post(PAUSE, CONFIRM).status_code == 302
    assert Pause.objects.filter(key="scheduler").exists()
    page = pauser.get(CHANGELIST).content.decode()
    assert "sched-scheduler-paused" in page and 'id="sched-resume-scheduler"' not in page
    assert pauser.post(RESUME, CONFIRM).status_code == 403
    assert Pause.objects.exists()

    resumer = staff_client(VIEW, "scheduler.delete_pause")
    assert 'id="sched-resume-scheduler"' in resumer.get(CHANGELIST).content.decode()
    assert resumer.post(RESUME, CONFIRM).status_code == 302
    assert not Pause.objects.exists()
