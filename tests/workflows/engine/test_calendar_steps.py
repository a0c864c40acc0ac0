"""Calendar arithmetic (workflows/engine/calendar_steps.py): days, weeks, months and years
added to a date move it on the calendar of the workflow's time zone, across daylight saving;
hours stay hours (docs/expressions.md, "Date arithmetic")."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from workflows import engine

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = datetime.UTC


def paris(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


def _clock_after(make_workflow, user, expression: str, zone: str = "Europe/Paris") -> str:
    wf = make_workflow(
        "arith",
        time_zone=zone,
        actions=[
            {
                "type": "return_data",
                "data": {"at": "{{ (" + expression + ")|format_date('%Y-%m-%d %H:%M') }}"},
            }
        ],
    )
    return engine.run(wf, {}, user).response["at"]


def test_a_day_added_is_a_calendar_day_in_the_workflows_zone(make_workflow, user, time_machine):
    # Saturday 28 March 2026, 09:00 in Paris; the clocks go forward that night
    time_machine.move_to(paris(2026, 3, 28, 9, 0), tick=False)
    assert _clock_after(make_workflow, user, "now + days(1)") == "2026-03-29 09:00"
    assert _clock_after(make_workflow, user, "now + weeks(1)") == "2026-04-04 09:00"
    # hours stay hours: 24 of them land at 10:00 on the short day
    assert _clock_after(make_workflow, user, "now + hours(24)") == "2026-03-29 10:00"
    assert _clock_after(make_workflow, user, "now + days(1.5)") == "2026-03-29 21:00"
    assert _clock_after(make_workflow, user, "days(1) + now") == "2026-03-29 09:00"


def test_and_back_across_the_autumn_change(make_workflow, user, time_machine):
    time_machine.move_to(paris(2026, 10, 26, 9, 0), tick=False)
    assert _clock_after(make_workflow, user, "now - days(1)") == "2026-10-25 09:00"
    assert _clock_after(make_workflow, user, "now - days(2)") == "2026-10-24 09:00"


def test_months_and_years_step_the_calendar(make_workflow, user, time_machine):
    time_machine.move_to(paris(2026, 1, 31, 9, 0), tick=False)
    assert _clock_after(make_workflow, user, "now + months(1)") == "2026-02-28 09:00"
    assert _clock_after(make_workflow, user, "now + months(3)") == "2026-04-30 09:00"
    assert _clock_after(make_workflow, user, "now - years(1)") == "2025-01-31 09:00"
    assert _clock_after(make_workflow, user, "now + -months(2)") == "2025-11-30 09:00"


def test_a_zone_where_the_day_is_already_another(make_workflow, user, time_machine):
    # 23:30 UTC on 31 March is 1 April in Tokyo: one month later is 1 May there
    time_machine.move_to(datetime.datetime(2026, 3, 31, 23, 30, tzinfo=UTC), tick=False)
    assert _clock_after(make_workflow, user, "now + months(1)", "Asia/Tokyo") == "2026-05-01 08:30"
    assert _clock_after(make_workflow, user, "now + months(1)", "UTC") == "2026-04-30 23:30"


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("months(1.5)", "months() takes a whole number"),
        ("years(300)", "longer than 200 years"),
        ("months('2')", "months() takes a number"),
    ],
)
def test_month_counts_that_make_no_sense_fail_the_step(make_workflow, user, expression, error):
    wf = make_workflow(
        "bad_months",
        actions=[{"type": "return_data", "data": {"at": "{{ now + " + expression + " }}"}}],
    )
    run = engine.run(wf, {}, user)
    assert run.status == "failed" and error in str(run.error)


def test_outside_dates_a_day_is_the_duration_it_always_was(make_workflow, user):
    wf = make_workflow(
        "durations",
        actions=[
            {
                "type": "return_data",
                "data": {
                    "days": "{{ days(2).days }}",
                    "longer": "{{ days(1) > hours(3) }}",
                    "seconds": "{{ (days(1) + hours(1)).total_seconds() }}",
                    "logged": "{{ weeks(1) }}",
                    "birthday": "{{ (date('2024-02-29').date() + years(1)).isoformat() }}",
                },
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {
        "days": 2,
        "longer": True,
        "seconds": 90000.0,
        "logged": 604800.0,
        "birthday": "2025-02-28",
    }


def test_written_any_way_a_day_is_a_calendar_day(make_workflow, user, time_machine):
    time_machine.move_to(paris(2026, 3, 29, 9, 0), tick=False)  # the short day itself
    assert _clock_after(make_workflow, user, "now + -days(1)") == "2026-03-28 09:00"
    assert _clock_after(make_workflow, user, "now - days(1) * 2") == "2026-03-27 09:00"
    assert _clock_after(make_workflow, user, "now - 2 * days(1)") == "2026-03-27 09:00"
    # minus half a day either way is 12 hours back
    assert _clock_after(make_workflow, user, "now + days(-0.5)") == "2026-03-28 20:00"
    assert _clock_after(make_workflow, user, "now - days(0.5)") == "2026-03-28 20:00"


def test_no_day_to_move_keeps_the_moment_in_a_repeated_hour(make_workflow, user, time_machine):
    # 01:30 UTC on 25 October 2026 is the second 02:30 in Paris (+01:00)
    time_machine.move_to(datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), tick=False)
    wf = make_workflow(
        "repeated",
        time_zone="Europe/Paris",
        actions=[
            {
                "type": "return_data",
                "data": {
                    "zero": "{{ (now + days(0))|format_date('%H:%M', 'UTC') }}",
                    "months": "{{ (now + months(0))|format_date('%H:%M', 'UTC') }}",
                    "half": "{{ (now + days(0.5))|format_date('%H:%M', 'UTC') }}",
                },
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {
        "zero": "01:30",
        "months": "01:30",
        "half": "13:30",
    }


def test_a_calendar_date_steps_as_python_steps_it(make_workflow, user):
    wf = make_workflow(
        "plain",
        actions=[
            {
                "type": "return_data",
                "data": {
                    "minus": "{{ (date('2026-01-10').date() - days(1.5)).isoformat() }}",
                    "plus": "{{ (date('2026-01-10').date() + days(1.5)).isoformat() }}",
                },
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {"minus": "2026-01-09", "plus": "2026-01-11"}
