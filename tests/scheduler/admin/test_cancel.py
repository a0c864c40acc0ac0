"""Cancelling from the Scheduler: one, the selection, everything matching, all past-due."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduler.models import ScheduledRun, Status

from .conftest import CHANGELIST, CONFIRM, asked, at, confirm_data, message_texts

PAST_DUE = reverse("admin:scheduler_scheduledrun_cancel_past_due")


def action_data(*runs, **extra) -> dict:
    return {
        "action": "cancel_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(r.pk) for r in runs],
        **extra,
    }


def statuses(*runs) -> list[str]:
    return [ScheduledRun.objects.get(pk=r.pk).status for r in runs]


def updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "scheduler_scheduledrun"')]


def test_cancel_selected_cancels_only_what_has_not_started(root_client, sched):
    scheduled = sched()
    queued = sched(status=Status.QUEUED, due_at=at(minutes=-1))
    running = sched(status=Status.RUNNING)
    done = sched(status=Status.SUCCEEDED)
    untouched = sched()
    url = CHANGELIST + "?status=all"
    confirm = root_client.post(url, action_data(scheduled, queued, running, done))
    assert asked(confirm) == "Cancel 2 scheduled runs of send-reminder?"
    assert "4 selected runs; 2 of them already running or finished." in confirm.context["details"]
    assert statuses(scheduled, queued) == [
        Status.SCHEDULED,
        Status.QUEUED,
    ]  # asking changes nothing
    with CaptureQueriesContext(connection) as ctx:
        response = root_client.post(confirm.context["form_action"], confirm_data(confirm))
    assert response.status_code == 302
    assert len(updates(ctx.captured_queries)) == 1  # one UPDATE, no per-row work
    assert statuses(scheduled, queued, running, done, untouched) == [
        Status.CANCELLED,
        Status.CANCELLED,
        Status.RUNNING,
        Status.SUCCEEDED,
        Status.SCHEDULED,
    ]
    assert ScheduledRun.objects.get(pk=scheduled.pk).finished_at is not None
    page = root_client.get(response["Location"])
    assert message_texts(page) == [
        "Cancelled 2 scheduled runs. 2 could not be cancelled: already running or finished."
    ]


def test_cancel_selected_from_the_default_list(root_client, sched):
    one = sched()
    confirm = root_client.post(CHANGELIST, action_data(one))
    assert asked(confirm) == "Cancel 1 scheduled run of send-reminder?"
    assert 'value="Yes, cancel it"' in confirm.content.decode()
    response = root_client.post(CHANGELIST, confirm_data(confirm), follow=True)
    assert message_texts(response) == ["Cancelled 1 scheduled run."]
    assert statuses(one) == [Status.CANCELLED]
    assert shown_ids(root_client.get(CHANGELIST)) == []  # cancelled runs are not upcoming


def shown_ids(response) -> list:
    return [r.pk for r in response.context["cl"].result_list]


def test_select_across_cancels_everything_matching_the_filter(root_client, sched, wf, other_wf):
    mine = [sched(), sched(due_at=at(days=2)), sched(due_at=at(minutes=-5))]
    running = sched(status=Status.RUNNING)
    other = sched(workflow=other_wf)
    url = f"{CHANGELIST}?workflow__id__exact={wf.pk}&status=all"

    # "Select all" asks first, saying how many would be cancelled
    confirm = root_client.post(url, action_data(mine[0], select_across="1"))
    assert asked(confirm) == "Cancel 3 scheduled runs of send-reminder?"
    assert confirm.context["count"] == 3
    assert "Yes, cancel them" in confirm.content.decode()
    assert statuses(*mine) == [Status.SCHEDULED] * 3

    data = confirm_data(confirm)  # what the confirmation form posts back
    assert data["select_across"] == "1" and data["confirm"] == "yes"
    with CaptureQueriesContext(connection) as ctx:
        response = root_client.post(confirm.context["form_action"], data, follow=True)
    assert len(updates(ctx.captured_queries)) == 1
    assert statuses(*mine) == [Status.CANCELLED] * 3
    assert statuses(running, other) == [Status.RUNNING, Status.SCHEDULED]
    assert message_texts(response) == [
        "Cancelled 3 scheduled runs. 1 could not be cancelled: already running or finished."
    ]


def test_cancel_all_past_due(root_client, sched, other_wf):
    late = [
        sched(due_at=at(minutes=-10)),
        sched(due_at=at(days=-2), workflow=other_wf),
        sched(due_at=at(seconds=-1), status=Status.QUEUED),
    ]
    future = sched(due_at=at(minutes=10))
    running = sched(due_at=at(minutes=-3), status=Status.RUNNING)

    confirm = root_client.get(PAST_DUE)  # GET only asks
    assert asked(confirm) == ("Cancel 3 scheduled runs (2 of send-reminder, 1 of nightly-report)?")
    assert confirm.context["count"] == 3
    assert asked(root_client.post(PAST_DUE)) == asked(confirm)  # so does an unconfirmed POST
    assert statuses(*late) == [Status.SCHEDULED, Status.SCHEDULED, Status.QUEUED]

    response = root_client.post(PAST_DUE, CONFIRM, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert statuses(*late) == [Status.CANCELLED] * 3
    assert statuses(future, running) == [Status.SCHEDULED, Status.RUNNING]
    assert message_texts(response) == ["Cancelled 3 scheduled runs."]
    assert root_client.put(PAST_DUE).status_code == 405


def test_changelist_offers_cancel_all_past_due(root_client, sched):
    sched()
    assert PAST_DUE in root_client.get(CHANGELIST).content.decode()


def test_state_changes_need_a_csrf_token(superuser, sched):
    late = sched(due_at=at(minutes=-10))
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.post(PAST_DUE, CONFIRM).status_code == 403
    assert client.post(CHANGELIST, {**action_data(late), **CONFIRM}).status_code == 403
    assert client.post(reverse("admin:scheduler_scheduledrun_pause"), CONFIRM).status_code == 403
    assert statuses(late) == [Status.SCHEDULED]

    # with the token the confirmation page carries, it goes through
    page = client.get(PAST_DUE)
    token = page.context["csrf_token"]
    data = {"csrfmiddlewaretoken": str(token), **CONFIRM}
    assert client.post(PAST_DUE, data).status_code == 302
    assert statuses(late) == [Status.CANCELLED]


def test_cancel_one_from_its_page(root_client, sched):
    run = sched()
    url = reverse("admin:scheduler_scheduledrun_cancel", args=[run.pk])
    due = f"{timezone.localtime(run.due_at):%Y-%m-%d %H:%M:%S}"
    assert asked(root_client.get(url)) == f"Cancel the scheduled run of send-reminder due {due}?"
    assert asked(root_client.post(url)) == asked(root_client.get(url))
    assert statuses(run) == [Status.SCHEDULED]
    assert root_client.put(url).status_code == 405
    response = root_client.post(url, CONFIRM, follow=True)
    assert statuses(run) == [Status.CANCELLED]
    assert message_texts(response) == ["Cancelled 1 scheduled run."]
    again = root_client.post(url, CONFIRM, follow=True)
    assert message_texts(again) == [
        "Cancelled 0 scheduled runs. 1 could not be cancelled: already running or finished."
    ]


@pytest.mark.parametrize("missing", ["00000000-0000-0000-0000-000000000000", "nope"])
def test_cancel_one_unknown(root_client, missing):
    url = reverse("admin:scheduler_scheduledrun_cancel", args=[missing])
    assert root_client.post(url, CONFIRM).status_code in (302, 404)
