"""Scheduling a workflow from the admin: the Schedule page (the Scheduled runs' add page),
its searches, and who may use them."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from examples.models import Customer
from scheduler import admin_schedule, services
from scheduler.models import Origin, ScheduledRun, Status

from .conftest import CHANGELIST, message_texts

ADD = reverse("admin:scheduler_scheduledrun_add")
THINGS = reverse("admin:scheduler_scheduledrun_things")
USERS = reverse("admin:scheduler_scheduledrun_users")
SCHEDULE = "scheduler.add_scheduledrun"
AS_OTHERS = "scheduler.schedule_as_other_user"


@pytest.fixture
def remind(make_workflow):
    """An API workflow with a parameter of each kind of input."""
    return make_workflow(
        "remind-customer",
        description="Reminds a customer.",
        parameters=[
            {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
            {"key": "note", "type": "text", "optional": True},
            {"key": "times", "type": "number", "default": 1},
            {"key": "urgent", "type": "yes_no", "optional": True},
            {"key": "since", "type": "date", "optional": True},
            {
                "key": "others",
                "type": "thing",
                "data_type": "examples.Customer",
                "list": True,
                "optional": True,
            },
        ],
        actions=[{"type": "log", "message": "{{ params.customer.name }}"}],
    )


@pytest.fixture
def event(make_workflow):
    return make_workflow(
        "helper-event", kind="custom_event", actions=[{"type": "log", "message": "x"}]
    )


@pytest.fixture
def ann(user):
    return Customer.objects.create(name="Ann Example", email="ann@example.com", user=user)


@pytest.fixture
def bea(user):
    return Customer.objects.create(name="Bea Sample", email="bea@example.com")


def page_of(workflow) -> str:
    return f"{ADD}?workflow={workflow.pk}"


def post(client, workflow, **fields):
    data = {"workflow": workflow.pk, "due-at": "", "run-as": "", **fields}
    return client.post(page_of(workflow), data)


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# --- the page -------------------------------------------------------------------------------


def test_the_add_page_is_the_schedule_page(root_client, remind, event, wf):
    response = root_client.get(ADD)
    assert response.status_code == 200
    offered = dict(response.context["workflows"])
    assert set(offered.values()) == {"remind-customer", "send-reminder"}  # API workflows only
    html = response.content.decode()
    assert 'id="sched-choose-workflow"' in html
    # the Scheduler's list offers it, for the workflow it is filtered to
    listed = root_client.get(CHANGELIST, {"workflow__id__exact": wf.pk}).content.decode()
    assert f'href="{ADD}?workflow={wf.pk}"' in listed and "Schedule a workflow…" in listed


def test_the_form_has_an_input_per_parameter(root_client, remind):
    response = root_client.get(page_of(remind))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "customer",
        "note",
        "times",
        "urgent",
        "since",
        "others",
        "due-at",
        "time-zone",
        "run-as",
    ]
    html = response.content.decode()
    # things are searched by name, never listed in a select
    assert f'data-search-url="{THINGS}"' in html and 'data-data-type="examples.Customer"' in html
    assert "<select" not in str(form["customer"])
    assert form["times"].initial == "1"  # the parameter's default
    assert form["run-as"].initial == "root"  # the logged-in user
    assert 'type="datetime-local"' in str(form["due-at"])
    assert "Reminds a customer." in html


def test_scheduling_makes_a_run_through_the_service(root_client, remind, ann, bea, monkeypatch):
    calls = []
    real = services.schedule

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(admin_schedule.services, "schedule", spy)
    response = post(
        root_client,
        remind,
        customer=str(ann.pk),
        note="  keep spaces ",
        times="3",
        urgent="yes",
        since="2025-01-31T09:00:00Z",
        others=f"{bea.pk}\n\n{ann.pk}\n",
        **{"due-at": "2030-01-31T09:30:00"},
    )
    row = ScheduledRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:scheduler_scheduledrun_change", args=[row.pk])
    assert len(calls) == 1  # never a row written by hand
    assert row.workflow == remind and row.status == Status.SCHEDULED
    assert row.origin == Origin.ADMIN and row.actor is None  # "run as" left empty: nobody
    assert row.params == {
        "customer": {"_type": "examples.Customer", "_id": ann.pk},
        "note": "  keep spaces ",
        "times": 3,
        "urgent": True,
        "since": "2025-01-31T09:00:00+00:00",
        "others": [
            {"_type": "examples.Customer", "_id": bea.pk},
            {"_type": "examples.Customer", "_id": ann.pk},
        ],
    }
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    assert row.due_at == datetime.datetime(2030, 1, 31, 9, 30, tzinfo=zone)
    page = root_client.get(response["Location"])
    assert message_texts(page) == [
        f"Scheduled remind-customer, due {row.due_at.astimezone(zone):%Y-%m-%d %H:%M:%S}, "
        "to run as nobody (anonymous)."
    ]
    assert LogEntry.objects.filter(object_id=str(row.pk)).exists()  # in the admin's history


def test_an_empty_due_time_runs_as_soon_as_possible_as_yourself(
    root_client, superuser, remind, ann, frozen_now
):
    post(root_client, remind, customer=ann.pk, **{"run-as": "root"})
    row = ScheduledRun.objects.get()
    assert row.due_at == frozen_now and row.actor == superuser


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"customer": ["This field is required."]}),
        (
            {"customer": "999999"},
            {"customer": ["parameter 'customer': no examples.Customer with id 999999"]},
        ),
        (
            {"customer": "{ann}", "times": "many"},
            {"times": ["parameter 'times': expected a number"]},
        ),
        (
            {"customer": "{ann}", "since": "someday"},
            {"since": ["parameter 'since': expected " + "a date"]},
        ),
        ({"customer": "{ann}", "due-at": "tomorrowish"}, {"due-at": ["at: "]}),
        ({"customer": "{ann}", "run-as": "nobody-here"}, {"run-as": ["No user 'nobody-here'"]}),
        ({"customer": "{ann}", "run-as": "9" * 30}, {"run-as": ["No user '999"]}),
        ({"customer": "{ann}", "note": "a\x00b"}, {"note": ["Null characters are not allowed."]}),
        ({"customer": "{ann}" + "9" * 30}, {"customer": ["parameter 'customer'"]}),
    ],
    ids=["missing", "no-such-thing", "number", "date", "due", "user", "huge-id", "nul", "huge"],
)
def test_bad_input_is_shown_on_its_field(root_client, remind, ann, fields, errors):
    fields = {k: v.replace("{ann}", str(ann.pk)) for k, v in fields.items()}
    response = post(root_client, remind, **fields)
    found = field_errors(response)
    assert set(found) == set(errors)
    for name, expected in errors.items():
        assert found[name][0].startswith(expected[0]), found[name]
    assert not ScheduledRun.objects.exists()
    assert "Please correct the error below." in response.content.decode()


def test_a_thing_the_user_may_not_reach_is_refused_on_its_field(
    root_client, remind, ann, other_user
):
    """Parameters are checked as the run's user: ``ann`` belongs to alice, and bob may not
    see her (privacy rules of the examples: customers see their own)."""
    from workflows.models import PrivacyRule

    PrivacyRule.objects.filter(data_type="examples.Customer").delete()
    response = post(root_client, remind, customer=ann.pk, **{"run-as": "bob"})
    assert "customer" in field_errors(response)
    assert not ScheduledRun.objects.exists()


def test_running_as_another_user_needs_its_permission(staff_client, remind, ann, other_user):
    client = staff_client(SCHEDULE)
    response = post(client, remind, customer=ann.pk, **{"run-as": "bob"})
    assert field_errors(response)["run-as"][0].startswith("You may schedule runs as yourself")
    assert "data-search-url" not in str(response.context["form"]["run-as"])  # no user search
    # nor a search of customers, whose type this user may not view: an id is typed
    customer = response.context["form"]["customer"]
    assert "data-search-url" not in str(customer) and "search it by name" not in customer.help_text
    assert client.get(USERS, {"q": "b"}).status_code == 403
    # whether a user exists is not told to who may not run as others
    unknown = post(client, remind, customer=ann.pk, **{"run-as": "no-such-user"})
    assert field_errors(unknown)["run-as"] == field_errors(response)["run-as"]

    allowed = staff_client(SCHEDULE, AS_OTHERS)
    response = post(allowed, remind, customer=ann.pk, **{"run-as": "bob@EXAMPLE.com"})
    assert response.status_code == 302
    assert ScheduledRun.objects.get().actor == other_user

    other_user.is_active = False  # an account switched off runs nothing
    other_user.save()
    response = post(allowed, remind, customer=ann.pk, **{"run-as": "bob"})
    assert field_errors(response)["run-as"][0].startswith("No user 'bob'")


def test_only_api_workflows_can_be_scheduled(root_client, event):
    response = root_client.get(page_of(event))
    assert response.status_code == 200 and "form" not in response.context
    assert "only API workflows can be scheduled" in response.context["refused"]
    assert post(root_client, event).status_code == 200
    assert not ScheduledRun.objects.exists()


@pytest.mark.parametrize("raw", ["999999", "x"])
def test_an_unknown_workflow_is_a_404(root_client, raw):
    assert root_client.get(f"{ADD}?workflow={raw}").status_code == 404


# --- permissions ---------------------------------------------------------------------------


def test_staff_without_the_permission_get_403(staff_client, remind, ann):
    client = staff_client("scheduler.view_scheduledrun", "scheduler.change_scheduledrun")
    assert client.get(ADD).status_code == 403
    assert client.get(page_of(remind)).status_code == 403
    assert post(client, remind, customer=ann.pk).status_code == 403
    assert client.get(THINGS, {"data_type": "examples.Customer"}).status_code == 403
    assert "Schedule a workflow" not in client.get(CHANGELIST).content.decode()
    assert not ScheduledRun.objects.exists()


def test_the_permission_alone_schedules(staff_client, remind, ann):
    client = staff_client(SCHEDULE)
    form = client.get(page_of(remind)).context["form"]
    me = form["run-as"].initial
    response = post(client, remind, customer=ann.pk, **{"run-as": me})
    assert response.status_code == 302
    row = ScheduledRun.objects.get()
    # without the Scheduler's view permission the page goes back to the form
    assert response["Location"] == page_of(remind)
    assert row.actor.username == me and me.startswith("staff-")


# --- the workflow's page ----------------------------------------------------------------------


def test_the_workflow_page_has_a_schedule_button(root_client, staff_client, remind, event):
    change = reverse("admin:workflows_workflow_change", args=[remind.pk])
    assert f'href="{page_of(remind)}"' in root_client.get(change).content.decode()
    other = reverse("admin:workflows_workflow_change", args=[event.pk])
    assert "Schedule…" not in root_client.get(other).content.decode()  # not an API workflow
    editor = staff_client("workflows.view_workflow")
    assert "Schedule…" not in editor.get(change).content.decode()  # may not schedule


# --- the searches ------------------------------------------------------------------------


def test_things_are_searched_by_name(root_client, ann, bea):
    found = root_client.get(THINGS, {"data_type": "examples.Customer", "q": "bea"}).json()
    assert found == {"results": [{"id": bea.pk, "label": "Bea Sample"}]}
    by_id = root_client.get(THINGS, {"data_type": "examples.Customer", "q": str(ann.pk)}).json()
    assert {"id": ann.pk, "label": "Ann Example"} in by_id["results"]
    bad = root_client.get(THINGS, {"data_type": "auth.Secret", "q": "x"})
    assert bad.status_code == 400 and "unknown data type" in bad.json()["error"]


@pytest.mark.privacy
def test_things_are_searched_as_the_logged_in_user(staff_client, ann):
    """Without a privacy rule opening customers, a staff user who may view them finds none."""
    client = staff_client(SCHEDULE, "examples.view_customer")
    found = client.get(THINGS, {"data_type": "examples.Customer", "q": "Ann"}).json()
    assert found == {"results": []}


def test_things_are_searched_only_by_who_may_view_their_type(staff_client, root_client, ann):
    """Names are shown only to who may view the data type, as in every thing picker: the
    others type an id, and the form offers no search for it."""
    client = staff_client(SCHEDULE)
    refused = client.get(THINGS, {"data_type": "examples.Customer", "q": "Ann"})
    assert refused.status_code == 403 and "type the thing's id" in refused.json()["error"]
    assert "Ann" not in refused.content.decode()


def test_users_are_searched_by_name_or_email(root_client, user, other_user):
    found = root_client.get(USERS, {"q": "bob@"}).json()
    assert found == {"results": [{"id": "bob", "label": "bob (bob@example.com)"}]}
    everyone = root_client.get(USERS).json()["results"]
    assert [u["id"] for u in everyone] == ["alice", "bob", "root"]
