"""Recurring events in the admin: frequency as text, failing badge, stop selected (confirmed)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from scheduler.models import Origin, RecurringEvent, ScheduledRun, Status

from .conftest import CHANGELIST, at, message_texts

RECURRING = reverse("admin:scheduler_recurringevent_changelist")


@pytest.fixture
def events(wf, other_wf, user):
    failing = RecurringEvent.objects.create(
        workflow=wf,
        frequency={"every": "1 day"},
        start=at(days=-10),
        consecutive_failures=3,
        last_status="failed",
        last_run_at=at(hours=-1),
        actor=user,
    )
    healthy = RecurringEvent.objects.create(
        workflow=other_wf,
        data_type="examples.Customer",
        thing_id="7",
        frequency={"cron": "0 3 * * *"},
        start=at(days=-1),
        end=at(days=30),
        last_status="succeeded",
    )
    stopped = RecurringEvent.objects.create(
        workflow=wf,
        data_type="examples.Customer",
        thing_id="8",
        frequency={"every": "2 weeks"},
        start=at(days=-1),
        active=False,
    )
    return {"failing": failing, "healthy": healthy, "stopped": stopped}


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {str(e) for e in response.context["cl"].result_list}


def test_list_shows_frequency_binding_and_failing_badge(root_client, events):
    response = root_client.get(RECURRING)
    html = response.content.decode()
    assert listed(response) == {str(e) for e in events.values()}
    assert '<span class="sched-badge sched-failing">failing (3)</span>' in html
    assert "every 1 day" in html and "cron 0 3 * * *" in html and "every 2 weeks" in html
    assert "the workflow&#x27;s own schedule" in html and "examples.Customer 7" in html


def test_filters(root_client, events):
    failing = root_client.get(RECURRING, {"failing": "yes"})
    assert listed(failing) == {str(events["failing"])}
    assert listed(root_client.get(RECURRING, {"failing": "no"})) == {
        str(events["healthy"]),
        str(events["stopped"]),
    }
    assert listed(root_client.get(RECURRING, {"active__exact": "0"})) == {str(events["stopped"])}
    assert listed(root_client.get(RECURRING, {"q": "7"})) == {str(events["healthy"])}


def test_stop_selected_deactivates_and_cancels_the_upcoming_run(root_client, events, wf):
    event = events["failing"]
    upcoming = ScheduledRun.objects.create(
        workflow=wf, due_at=at(hours=3), origin=Origin.RECURRING, recurring=event
    )
    form = {
        "action": "stop_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(event.pk), str(events["stopped"].pk)],
    }
    asked = root_client.post(RECURRING, form)
    assert asked.status_code == 200 and asked.context["count"] == 1
    html = asked.content.decode()
    assert f"Stop 1 recurring event of {wf.name}?" in html
    assert "1 of the selection already stopped." in html
    event.refresh_from_db()
    assert event.active is True  # nothing changes before the confirmation
    assert ScheduledRun.objects.get(pk=upcoming.pk).status == Status.SCHEDULED
    response = root_client.post(RECURRING, {**form, "confirm": "yes"}, follow=True)
    assert message_texts(response) == ["Stopped 1 recurring event."]
    event.refresh_from_db()
    assert event.active is False
    assert ScheduledRun.objects.get(pk=upcoming.pk).status == Status.CANCELLED
    events["healthy"].refresh_from_db()
    assert events["healthy"].active is True


def test_change_page_is_read_only_and_links_to_its_runs(root_client, events, wf):
    event = events["failing"]
    ScheduledRun.objects.create(
        workflow=wf, due_at=at(hours=-30), recurring=event, status=Status.SUCCEEDED
    )
    response = root_client.get(reverse("admin:scheduler_recurringevent_change", args=[event.pk]))
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    html = response.content.decode()
    link = f"{CHANGELIST}?recurring__id__exact={event.pk}&amp;status=all"
    assert link in html and "failing (3)" in html
    occurrences = root_client.get(CHANGELIST, {"recurring__id__exact": event.pk})
    assert [r.status for r in occurrences.context["cl"].result_list] == [Status.SUCCEEDED]
    assert root_client.get(reverse("admin:scheduler_recurringevent_add")).status_code == 403


# --- data type, the thing by its name, the next occurrence ----------------------------------


@pytest.fixture
def bound(wf, customer):
    """An event bound to Ann (a customer), every day from 10 days and 2 hours ago."""
    return RecurringEvent.objects.create(
        workflow=wf,
        data_type="examples.Customer",
        thing_id=str(customer.pk),
        frequency={"every": "1 day"},
        start=at(days=-10, hours=-2),
    )


def test_the_list_names_the_thing_and_its_data_type(root_client, bound, customer, frozen_now):
    html = root_client.get(RECURRING).content.decode()
    change = reverse("admin:examples_customer_change", args=[customer.pk])
    assert f'<a href="{change}">Ann</a>' in html
    assert '<td class="field-data_type_display">examples.Customer</td>' in html
    # every day from the start: the next point of the grid is in 22 hours
    due = timezone.localtime(bound.start + datetime.timedelta(days=11))
    assert f'<td class="field-next_occurrence">{due:%Y-%m-%d %H:%M}</td>' in html


def test_a_page_of_events_names_its_things_in_one_query_per_data_type(
    root_client, wf, other_wf, customer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from examples.models import Customer

    more = [Customer.objects.create(name=f"C{i}", email=f"c{i}@example.com") for i in range(5)]
    for workflow in (wf, other_wf):
        for thing in [customer, *more]:
            RecurringEvent.objects.create(
                workflow=workflow,
                data_type="examples.Customer",
                thing_id=str(thing.pk),
                frequency={"every": "1 day"},
                start=at(days=-1),
            )
    with CaptureQueriesContext(connection) as ctx:
        html = root_client.get(RECURRING).content.decode()
    assert all(f">{c.name}</a>" in html for c in more)
    customers = [q for q in ctx.captured_queries if 'FROM "examples_customer"' in q["sql"]]
    assert len(customers) == 1


def test_without_the_data_type_s_permission_the_thing_is_its_id(staff_client, bound, customer):
    client = staff_client("scheduler.view_recurringevent")
    html = client.get(RECURRING).content.decode()
    assert f"examples.Customer {customer.pk}" in html and ">Ann<" not in html


def test_a_deleted_thing_and_a_stopped_event(root_client, events):
    html = root_client.get(RECURRING).content.decode()
    assert "examples.Customer 7 (deleted)" in html
    assert html.count("<em>stopped</em>") == 1


def test_an_event_past_its_end_has_no_next_occurrence(root_client, wf, frozen_now):
    RecurringEvent.objects.create(
        workflow=wf,
        frequency={"every": "1 week"},
        start=at(days=-6, hours=-12),
        end=at(hours=1),
    )
    html = root_client.get(RECURRING).content.decode()
    assert "<em>none: ends before</em>" in html


def test_the_change_page_names_the_thing_too(root_client, bound, customer):
    url = reverse("admin:scheduler_recurringevent_change", args=[bound.pk])
    html = root_client.get(url).content.decode()
    assert reverse("admin:examples_customer_change", args=[customer.pk]) in html


def test_stopping_needs_the_change_permission(client, events, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_recurringevent"))
    client.force_login(viewer)
    form = {
        "action": "stop_selected",
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(events["failing"].pk)],
        "confirm": "yes",
    }
    client.post(RECURRING, form)
    events["failing"].refresh_from_db()
    assert events["failing"].active is True
