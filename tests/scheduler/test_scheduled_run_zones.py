"""A scheduled run naming its own time zone (docs/scheduler.md, "Time zones"): its ``at``
and date parameters written without a zone are read there, it runs there (format_date,
days(1)), and the Scheduler shows its due time on that zone's clock."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from scheduler import services
from scheduler.models import ScheduledRun
from tests.scheduler.due import ran
from workflows import engine
from workflows.exceptions import DefinitionError, InvalidParameter

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
UTC = datetime.UTC
FUTURE_TEXT = "2030-12-24T09:00"  # no zone: read in the run's
FUTURE_TOKYO = datetime.datetime(2030, 12, 24, 9, 0, tzinfo=TOKYO)


@pytest.fixture
def clock(make_workflow):
    """An API workflow that writes, in its run's zone, the hour of a date parameter and
    of the time a day later."""
    return make_workflow(
        "clock",
        expose=True,
        parameters=[{"key": "when", "type": "date"}],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "when": "{{ params.when|format_date('%H:%M') }}",
                    "tomorrow": "{{ (params.when + days(1))|format_date('%d %H:%M') }}",
                },
            }
        ],
    )


def test_a_run_scheduled_in_tokyo_reads_and_runs_there(make_workflow, clock, user):
    scheduler = make_workflow(
        "plan",
        actions=[
            {
                "type": "schedule_workflow",
                "workflow": "clock",
                "at": FUTURE_TEXT,
                "time_zone": "Asia/Tokyo",
                "params": {"when": FUTURE_TEXT},
            }
        ],
    )
    assert engine.run(scheduler, {}, user).status == "succeeded"
    row = ScheduledRun.objects.get()
    assert row.time_zone == "Asia/Tokyo" and row.due_at == FUTURE_TOKYO
    assert row.params["when"] == FUTURE_TOKYO.astimezone(UTC).isoformat()
    assert ran(row) == {"when": "09:00", "tomorrow": "25 09:00"}


def test_without_a_zone_of_its_own_it_runs_in_its_workflows(make_workflow, user):
    make_workflow(
        "paris_clock",
        expose=True,
        time_zone="Europe/Paris",
        actions=[{"type": "return_data", "data": {"at": "{{ now|format_date('%H:%M') }}"}}],
    )
    row = services.schedule(
        services.schedulable_workflow("paris_clock"), {}, FUTURE_TEXT, actor=user
    )
    assert row.time_zone == ""
    # read in the workflow's zone: 09:00 Paris is 08:00 UTC in winter
    assert row.due_at == datetime.datetime(2030, 12, 24, 8, 0, tzinfo=UTC)


def test_a_zone_that_does_not_exist(make_workflow, clock, user):
    with pytest.raises(DefinitionError, match="not an IANA time zone"):
        make_workflow(
            "bad",
            actions=[
                {
                    "type": "schedule_workflow",
                    "workflow": "clock",
                    "time_zone": "Mars/Olympus",
                    "params": {"when": FUTURE_TEXT},
                }
            ],
        )
    with pytest.raises(InvalidParameter, match="time_zone: 'Mars/Olympus' is not an IANA"):
        services.schedule(clock, {"when": FUTURE_TEXT}, time_zone="Mars/Olympus")
    # from an expression, the step fails and nothing is scheduled
    computed = make_workflow(
        "computed",
        parameters=[{"key": "zone", "type": "text"}],
        actions=[
            {
                "type": "schedule_workflow",
                "workflow": "clock",
                "time_zone": "{{ params.zone }}",
                "params": {"when": FUTURE_TEXT},
            }
        ],
    )
    run = engine.run(computed, {"zone": "Nowhere/Town"}, user)
    assert run.status == "failed" and "not an IANA time zone" in str(run.error)
    assert not ScheduledRun.objects.exists()


def test_a_list_scheduled_in_a_zone(make_workflow, clock, user):
    fan_out = make_workflow(
        "fan_out",
        actions=[
            {
                "type": "schedule_workflow_on_list",
                "list": "{{ [1, 2] }}",
                "workflow": "clock",
                "at": FUTURE_TEXT,
                "interval": 60,
                "time_zone": "Asia/Tokyo",
                "params": {"when": FUTURE_TEXT},
            }
        ],
    )
    assert engine.run(fan_out, {}, user).status == "succeeded"
    rows = list(ScheduledRun.objects.order_by("due_at"))
    assert [r.time_zone for r in rows] == ["Asia/Tokyo"] * 2
    assert [r.due_at for r in rows] == [FUTURE_TOKYO, FUTURE_TOKYO + datetime.timedelta(minutes=1)]


def test_the_api_takes_a_zone_and_answers_with_it(api, key, clock):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    body = {"at": FUTURE_TEXT, "time_zone": "Asia/Tokyo", "params": {"when": FUTURE_TEXT}}
    response = api.post("/api/1.1/wf/clock/schedule", body, format="json", **auth)
    assert response.status_code == 201, response.json()
    assert response.json()["due_at"] == FUTURE_TOKYO.astimezone(UTC).isoformat()
    row = ScheduledRun.objects.get()
    assert row.params["when"] == FUTURE_TOKYO.astimezone(UTC).isoformat()
    shown = api.get(f"/api/1.1/scheduled/{row.pk}", **auth).json()["response"]
    assert shown["time_zone"] == "Asia/Tokyo"
    bad = api.post(
        "/api/1.1/wf/clock/schedule", {**body, "time_zone": "Tokyo"}, format="json", **auth
    )
    assert bad.status_code == 400
    assert "time_zone" in bad.json()["body"]["message"]
    assert ScheduledRun.objects.count() == 1
    components = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    asked = components["ClockScheduleRequest"]["properties"]["time_zone"]  # the request's body
    answered = components["ScheduledRun"]["properties"]["time_zone"]  # what the API answers
    # empty is accepted (the workflow's zone) and answered (none of its own): no minLength
    assert "minLength" not in asked and "minLength" not in answered
    empty = api.post("/api/1.1/wf/clock/schedule", {**body, "time_zone": ""}, format="json", **auth)
    assert empty.status_code == 201 and empty.json()["status"] == "scheduled"


def test_the_scheduler_shows_its_due_time_on_its_zones_clock(admin_client, clock):
    row = services.schedule(clock, {"when": FUTURE_TEXT}, FUTURE_TEXT, time_zone="Asia/Tokyo")
    listing = admin_client.get("/admin/scheduler/scheduledrun/").content.decode()
    assert '<span class="sched-zone">09:00 Asia/Tokyo</span>' in listing
    page = admin_client.get(f"/admin/scheduler/scheduledrun/{row.pk}/change/").content.decode()
    assert "Asia/Tokyo" in page


def test_the_admins_schedule_form_takes_a_zone(admin_client, clock):
    page = f"/admin/scheduler/scheduledrun/add/?workflow={clock.pk}"
    assert 'name="time-zone"' in admin_client.get(page).content.decode()
    response = admin_client.post(
        page,
        {
            "workflow": clock.pk,
            "when": FUTURE_TEXT,
            "due-at": FUTURE_TEXT,
            "time-zone": "Asia/Tokyo",
            "run-as": "",
        },
    )
    assert response.status_code == 302
    row = ScheduledRun.objects.get()
    assert row.time_zone == "Asia/Tokyo" and row.due_at == FUTURE_TOKYO


def test_a_recurring_events_occurrences_run_on_its_clock(make_workflow, user, time_machine):
    workflow = make_workflow(
        "morning",
        expose=True,
        actions=[{"type": "return_data", "data": {"at": "{{ now|format_date('%H:%M') }}"}}],
    )
    start = datetime.datetime(2030, 3, 28, 9, 0, tzinfo=TOKYO)
    services.start_recurring(workflow, "every 1 day", start=start, time_zone="Asia/Tokyo")
    row = ScheduledRun.objects.get()
    assert row.time_zone == "Asia/Tokyo"
    time_machine.move_to(row.due_at, tick=False)
    assert ran(row) == {"at": "09:00"}


def test_a_lists_items_are_worked_out_in_the_callers_zone(make_workflow, user, time_machine):
    time_machine.move_to(datetime.datetime(2030, 1, 1, 12, 0, tzinfo=UTC), tick=False)
    make_workflow(
        "labelled",
        expose=True,
        parameters=[{"key": "label", "type": "text"}],
        actions=[{"type": "terminate"}],
    )
    caller = make_workflow(
        "labels",
        actions=[
            {
                "type": "schedule_workflow_on_list",
                "list": "{{ [1] }}",
                "workflow": "labelled",
                "time_zone": "Asia/Tokyo",
                "params": {"label": "{{ now|format_date('%H:%M') }}"},
            }
        ],
    )
    assert engine.run(caller, {}, user).status == "succeeded"
    assert ScheduledRun.objects.get().params == {"label": "12:00"}  # the caller's clock (UTC)


def test_a_recurring_events_start_and_dates_are_read_on_its_clock(make_workflow, clock):
    services.start_recurring(
        clock,
        "every 1 day",
        start=FUTURE_TEXT,
        params={"when": FUTURE_TEXT},
        time_zone="Asia/Tokyo",
    )
    row = ScheduledRun.objects.get()
    assert row.due_at == FUTURE_TOKYO
    assert row.params["when"] == FUTURE_TOKYO.astimezone(UTC).isoformat()


def test_a_parameter_named_time_zone_stays_the_parameter_in_form_fields(make_workflow, api, key):
    make_workflow(
        "greet",
        expose=True,
        parameters=[{"key": "time_zone", "type": "text"}],
        actions=[{"type": "terminate"}],
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    flat = api.post("/api/1.1/wf/greet/schedule", {"time_zone": "GMT+2"}, **auth)
    assert flat.status_code == 201, flat.json()
    row = ScheduledRun.objects.get()
    assert row.params == {"time_zone": "GMT+2"} and row.time_zone == ""
    structured = api.post(
        "/api/1.1/wf/greet/schedule",
        {"time_zone": "Asia/Tokyo", "params": {"time_zone": "GMT+2"}},
        format="json",
        **auth,
    )
    assert structured.status_code == 201
    assert ScheduledRun.objects.get(pk=structured.json()["id"]).time_zone == "Asia/Tokyo"


@pytest.mark.parametrize("name", ["right/Europe/Paris", "posix/Asia/Tokyo", "localtime", "Factory"])
def test_only_the_databases_zone_names_are_zones(clock, name):
    with pytest.raises(InvalidParameter, match="not an IANA time zone"):
        services.schedule(clock, {"when": FUTURE_TEXT}, time_zone=name)


def test_a_zone_written_as_a_number_is_refused_when_saved(make_workflow, clock):
    with pytest.raises(DefinitionError, match="time_zone: must be text"):
        make_workflow(
            "numbered",
            actions=[
                {
                    "type": "schedule_workflow",
                    "workflow": "clock",
                    "time_zone": 5,
                    "params": {"when": FUTURE_TEXT},
                }
            ],
        )


def test_a_stored_zone_this_machine_no_longer_knows_runs_in_time_zone(clock, caplog):
    row = services.schedule(clock, {"when": FUTURE_TEXT}, FUTURE_TEXT, time_zone="Asia/Tokyo")
    ScheduledRun.objects.filter(pk=row.pk).update(time_zone="Gone/Away")
    row.refresh_from_db()
    assert ran(row) == {"when": "00:00", "tomorrow": "25 00:00"}  # TIME_ZONE (UTC)
    assert "time zone 'Gone/Away' is unknown here" in caplog.text
