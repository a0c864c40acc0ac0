"""The Scheduler's pages for the scheduled runs and recurring events a workflow deleted in
development left (docs/versions.md): listed, opened, filtered, searched, cancelled,
retried and stopped, shown by the name they kept, "send-reminder (deleted)"."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from scheduler.models import RecurringEvent, ScheduledRun, Status
from workflows.admin.run_filters import WorkflowFilter

from .conftest import CHANGELIST, CONFIRM, asked, at, confirm_data, shown

RECURRING = reverse("admin:scheduler_recurringevent_changelist")
DELETED = "send-reminder (deleted)"


@pytest.fixture
def left(wf, other_wf, sched, user):
    """A pending and a failed run and a recurring event of send-reminder, then deleted in
    development; a run of nightly-report, which stays."""
    pending = sched(actor=user, params={"note": "hi"})
    failed = sched(status=Status.FAILED, due_at=at(hours=-1), last_error="boom", actor=user)
    other = sched(workflow=other_wf)
    event = RecurringEvent.objects.create(
        workflow=wf,
        data_type="examples.Customer",
        thing_id="7",
        frequency={"every": "1 day"},
        start=at(days=-1),
        actor=user,
    )
    wf.delete()
    for row in (pending, failed, event):
        row.refresh_from_db()
    return {"pending": pending, "failed": failed, "other": other, "event": event}


def test_the_list_shows_them_by_the_name_they_kept(root_client, left):
    response = root_client.get(CHANGELIST, {"status": "all"})
    assert {r.pk for r in shown(response)} == {r.pk for r in ScheduledRun.objects.all()}
    html = response.content.decode()
    assert html.count(DELETED) >= 2 and "nightly-report" in html


def test_the_deleted_workflow_filter_finds_them_by_name(root_client, left, other_wf):
    response = root_client.get(CHANGELIST, {"status": "all"})
    assert "?status=all&amp;workflow_name=send-reminder" in response.content.decode()
    found = shown(root_client.get(CHANGELIST, {"status": "all", "workflow_name": "send-reminder"}))
    assert {r.pk for r in found} == {left["pending"].pk, left["failed"].pk}
    of_other = shown(root_client.get(CHANGELIST, {WorkflowFilter.parameter_name: other_wf.pk}))
    assert [r.pk for r in of_other] == [left["other"].pk]


def test_no_deleted_workflow_filter_without_deleted_workflows(root_client, sched):
    sched()
    assert "workflow_name=" not in root_client.get(CHANGELIST).content.decode()


def test_the_search_finds_them_by_name(root_client, left):
    found = shown(root_client.get(CHANGELIST, {"status": "all", "q": "remind"}))
    assert {r.pk for r in found} == {left["pending"].pk, left["failed"].pk}


def test_a_rows_page_opens_with_the_name_it_kept(root_client, left):
    page = reverse("admin:scheduler_scheduledrun_change", args=[left["pending"].pk])
    response = root_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    # every parameter masked: development has no definition saying which are secret
    assert DELETED in html and "********" in html
    assert reverse("admin:scheduler_scheduledrun_cancel", args=[left["pending"].pk]) in html


def test_cancelling_one_asks_naming_it_then_cancels(root_client, left):
    url = reverse("admin:scheduler_scheduledrun_cancel", args=[left["pending"].pk])
    assert asked(root_client.get(url)).startswith(f"Cancel the scheduled run of {DELETED} due ")
    root_client.post(url, CONFIRM)
    left["pending"].refresh_from_db()
    assert left["pending"].status == Status.CANCELLED


def test_cancelling_a_selection_counts_them_by_the_name_they_kept(root_client, left):
    data = {
        "action": "cancel_selected",
        helpers.ACTION_CHECKBOX_NAME: [str(left["pending"].pk), str(left["other"].pk)],
    }
    response = root_client.post(CHANGELIST, data)
    assert asked(response) == (f"Cancel 2 scheduled runs (1 of nightly-report, 1 of {DELETED})?")
    root_client.post(CHANGELIST, confirm_data(response))
    assert ScheduledRun.objects.filter(status=Status.CANCELLED).count() == 2


def test_retrying_a_failed_one_runs_it_by_the_name_it_kept(root_client, left):
    url = reverse("admin:scheduler_scheduledrun_retry", args=[left["failed"].pk])
    assert asked(root_client.get(url)) == f"Retry this failed run of {DELETED} now?"
    root_client.post(url, CONFIRM)
    new = ScheduledRun.objects.get(retry_of=left["failed"])
    assert (new.workflow_id, new.workflow_name, new.status) == (
        None,
        "send-reminder",
        Status.SCHEDULED,
    )


def test_the_recurring_events_pages_show_it(root_client, left):
    listed = root_client.get(RECURRING)
    assert listed.status_code == 200 and DELETED in listed.content.decode()
    assert [e.pk for e in listed.context["cl"].result_list] == [left["event"].pk]
    found = root_client.get(RECURRING, {"q": "send-rem"}).context["cl"].result_list
    assert [e.pk for e in found] == [left["event"].pk]
    page = root_client.get(
        reverse("admin:scheduler_recurringevent_change", args=[left["event"].pk])
    )
    assert page.status_code == 200 and DELETED in page.content.decode()


def test_stopping_its_recurring_event_asks_naming_it_then_stops(root_client, left):
    data = {
        "action": "stop_selected",
        helpers.ACTION_CHECKBOX_NAME: [str(left["event"].pk)],
    }
    response = root_client.post(RECURRING, data)
    assert asked(response) == f"Stop 1 recurring event of {DELETED}?"
    root_client.post(RECURRING, confirm_data(response))
    left["event"].refresh_from_db()
    assert left["event"].active is False


def test_the_dashboard_names_what_is_due_of_it(root_client, wf, sched):
    sched(due_at=at(minutes=30))
    wf.delete()
    html = root_client.get(reverse("admin:index")).content.decode()
    assert f"{DELETED} (1)" in html


def test_the_recurring_events_deleted_workflow_filter_finds_its_events(root_client, left):
    listed = root_client.get(RECURRING, {"workflow_name": "send-reminder"})
    assert [e.pk for e in listed.context["cl"].result_list] == [left["event"].pk]
    assert "?workflow_name=send-reminder" in root_client.get(RECURRING).content.decode()
