"""Recurring events in the admin: frequency as text, failing badge, stop selected."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

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
    response = root_client.post(
        RECURRING,
        {
            "action": "stop_selected",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(event.pk), str(events["stopped"].pk)],
        },
        follow=True,
    )
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
