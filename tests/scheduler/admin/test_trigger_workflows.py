"""Trigger workflows on a page of their own: data type, events, condition, last run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scheduler.models import Pause
from workflows.choices import RunStatus

TRIGGERS = reverse("admin:scheduler_triggerworkflow_changelist")


@pytest.fixture
def on_paid(make_workflow):
    return make_workflow(
        "on-order-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["create", "update"],
        only_when="thing.status == 'paid'",
        actions=[{"type": "log", "message": "paid"}],
    )


@pytest.fixture
def on_customer(make_workflow):
    return make_workflow(
        "on-customer-deleted",
        kind="trigger",
        data_type="examples.Customer",
        on=["delete"],
        actions=[{"type": "log", "message": "gone"}],
    )


def test_the_list_shows_only_triggers_with_their_data_type_and_events(
    root_client, on_paid, on_customer, wf, make_log
):
    make_log(on_paid, status=RunStatus.SUCCEEDED)
    last = make_log(on_paid, status=RunStatus.FAILED)
    Pause.objects.create(key=Pause.key_for(on_customer), workflow=on_customer)
    response = root_client.get(TRIGGERS)
    assert response.status_code == 200
    rows = {w.name: w for w in response.context["cl"].result_list}
    assert set(rows) == {"on-order-paid", "on-customer-deleted"}  # not send-reminder
    html = response.content.decode()
    editor = reverse("admin:workflows_workflow_change", args=[on_paid.pk])
    assert f'<a href="{editor}">on-order-paid</a>' in html
    assert "Order (examples.Order)" in html and "Customer (examples.Customer)" in html
    assert "Created, Modified" in html and "Deleted" in html
    assert "thing.status == &#x27;paid&#x27;" in html
    assert reverse("admin:workflows_run_change", args=[last.pk]) in html and "(Failed)" in html
    assert "<em>never</em>" in html  # on-customer-deleted has not run
    assert html.count('<span class="sched-badge sched-pause">paused</span>') == 1
    assert (
        root_client.get(TRIGGERS, {"data_type": "examples.Order"}).context["cl"].result_count == 1
    )


def test_a_trigger_s_page_is_its_workflow_s_page(root_client, on_paid):
    url = reverse("admin:scheduler_triggerworkflow_change", args=[on_paid.pk])
    response = root_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:workflows_workflow_change", args=[on_paid.pk])


def test_it_is_read_only_and_for_who_may_view_workflows(staff_client, on_paid):
    assert staff_client("scheduler.view_scheduledrun").get(TRIGGERS).status_code == 403
    viewer = staff_client("workflows.view_workflow")
    response = viewer.get(TRIGGERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "addlink" not in html and "delete_selected" not in html
    assert "Trigger workflows" in viewer.get("/admin/").content.decode()
