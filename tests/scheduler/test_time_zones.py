"""Time zones: a recurring event counts its days on a zone's clock, so "every day at 09:00
Europe/Paris" stays at 09:00 there on both sides of a daylight-saving change; a workflow's
``time_zone`` is the zone its dates are shown in (docs/workflow-format.md)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from scheduler import services
from scheduler.frequency import parse_frequency
from workflows import engine
from workflows.exceptions import DefinitionError

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = datetime.UTC


def paris(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


def test_every_day_at_nine_in_paris_on_both_sides_of_the_spring_change():
    every_day = parse_frequency("every 1 day", time_zone="Europe/Paris")
    start = paris(2026, 3, 27, 9, 0)  # clocks go forward on Sunday 29 March
    due, seen = start, []
    for _ in range(4):
        due = every_day.first_after(start, due)
        seen.append(due)
    assert [d.astimezone(PARIS).strftime("%d %H:%M") for d in seen] == [
        "28 09:00",
        "29 09:00",
        "30 09:00",
        "31 09:00",
    ]
    # in UTC: 08:00 before the change, 07:00 after it
    assert [d.astimezone(UTC).hour for d in seen] == [8, 7, 7, 7]


def test_and_across_the_autumn_change_and_by_months():
    every_day = parse_frequency({"every": "daily", "time_zone": "Europe/Paris"})
    due = every_day.first_after(paris(2026, 10, 24, 9, 0), paris(2026, 10, 24, 9, 0))
    assert (
        due.astimezone(PARIS).strftime("%d %H:%M") == "25 09:00" and due.astimezone(UTC).hour == 8
    )
    monthly = parse_frequency("every 1 month", time_zone="Europe/Paris")
    due = monthly.first_after(paris(2026, 3, 15, 9, 0), paris(2026, 3, 15, 9, 0))
    assert due.astimezone(PARIS) == paris(2026, 4, 15, 9, 0)


def test_without_a_zone_days_stay_24_hours_as_before():
    every_day = parse_frequency("every 1 day")
    start = datetime.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert every_day.first_after(start, start) == start + datetime.timedelta(days=1)


def test_a_recurring_event_takes_its_workflows_zone(make_workflow):
    workflow = make_workflow(
        "morning", expose=True, time_zone="Europe/Paris", actions=[{"type": "terminate"}]
    )
    event = services.start_recurring(workflow, "every 1 day", start=paris(2026, 3, 28, 9, 0))
    assert event.frequency == {"every": "1 day", "time_zone": "Europe/Paris"}
    after = parse_frequency(event.frequency).first_after(event.start, event.start)
    assert after.astimezone(PARIS) == paris(2026, 3, 29, 9, 0)


def test_format_date_shows_the_workflows_zone_or_the_one_named(make_workflow, user, time_machine):
    time_machine.move_to(datetime.datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=False)
    wf = make_workflow(
        "clock",
        time_zone="America/New_York",
        actions=[
            {
                "type": "return_data",
                "data": {
                    "here": "{{ now|format_date('%H:%M') }}",
                    "paris": "{{ now|format_date('%H:%M', 'Europe/Paris') }}",
                },
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {"here": "08:00", "paris": "14:00"}


def test_a_zone_that_does_not_exist_is_refused_when_saved(make_workflow):
    with pytest.raises(DefinitionError, match="not an IANA time zone"):
        make_workflow("bad", time_zone="Mars/Olympus", actions=[])


def test_the_scheduler_shows_the_zones_time_beside_the_next_occurrence(
    make_workflow, admin_client, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tick=False)
    workflow = make_workflow(
        "morning", expose=True, time_zone="Europe/Paris", actions=[{"type": "terminate"}]
    )
    services.start_recurring(workflow, "every 1 day", start=paris(2026, 3, 28, 9, 0))
    page = admin_client.get("/admin/scheduler/recurringevent/").content.decode()
    assert "(09:00 Europe/Paris)" in page and "every 1 day (Europe/Paris)" in page


def test_a_date_written_without_a_zone_is_read_in_the_workflows(make_workflow, user):
    wf = make_workflow(
        "reader",
        time_zone="Europe/Paris",
        actions=[
            {
                "type": "return_data",
                "data": {"utc": "{{ date('2026-07-01T09:00')|format_date('%H:%M', 'UTC') }}"},
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {"utc": "07:00"}


def test_a_callers_date_without_a_zone_is_read_in_the_workflows(make_workflow, api, key):
    make_workflow(
        "paris_reader",
        expose=True,
        time_zone="Europe/Paris",
        parameters=[{"key": "when", "type": "date"}],
        actions=[
            {
                "type": "return_data",
                "data": {"utc": "{{ params.when|format_date('%H:%M', 'UTC') }}"},
            }
        ],
    )
    response = api.post(
        "/api/1.1/wf/paris_reader",
        {"when": "2026-07-01T09:00"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"utc": "07:00"}
