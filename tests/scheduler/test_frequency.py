import datetime as dt

import pytest

from scheduler.frequency import parse_frequency, validate_schedule
from workflows.engine.params import ParamSpec

UTC = dt.timezone.utc
START = dt.datetime(2026, 1, 31, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, count, unit",
    [
        ("every 1 day", 1, "day"),
        ("2 weeks", 2, "week"),
        ("every 15 minutes", 15, "minute"),
        ("hour", 1, "hour"),
        ("every 3 Months", 3, "month"),
        ("every 1 quarter", 1, "quarter"),
        ("every 2 years", 2, "year"),
    ],
)
def test_every_n_units(text, count, unit):
    f = parse_frequency(text)
    assert (f.count, f.unit, f.cron) == (count, unit, "")


@pytest.mark.parametrize(
    "text, unit",
    [
        ("daily", "day"),
        ("Weekly", "week"),
        ("  MONTHLY  ", "month"),
        ("quarterly", "quarter"),
        ("yearly", "year"),
        ({"every": "daily"}, "day"),
    ],
)
def test_bubbles_words_are_every_1_unit(text, unit):
    f = parse_frequency(text)
    assert (f.count, f.unit, f.cron) == (1, unit, "")
    # kept as every 1 <unit>: stored, compared and shown like a frequency written so
    assert f == parse_frequency(f"every 1 {unit}")
    assert f.as_json() == {"every": f"1 {unit}"} and str(f) == f"every 1 {unit}"


def test_a_word_steps_like_its_unit():
    assert parse_frequency("quarterly").first_after(START, START) == dt.datetime(
        2026, 4, 30, 3, 0, tzinfo=UTC
    )
    assert parse_frequency("weekly").first_after(START, START) == START + dt.timedelta(weeks=1)


def test_cron_and_mappings():
    assert parse_frequency("0  3 * * *").cron == "0 3 * * *"
    assert parse_frequency({"cron": "*/5 * * * *"}).cron == "*/5 * * * *"
    assert parse_frequency({"every": "1 day"}).unit == "day"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("every 0 days", "from 1"),
        ("0 3 * *", "five-field cron"),
        ("sometimes", "five-field cron"),
        ("fortnightly", r"neither a word \(daily, weekly, monthly, quarterly, yearly\)"),
        ("fortnightly", r"'every N units' \(minute, hour, day, week, month, quarter, year\)"),
        ("every daily", "not a frequency"),
        ("dailyish", "not a frequency"),
        ("", "a word .*daily.*every N units.*cron"),
        ({"cron": "Daily"}, "'daily' is not a cron expression: write every: daily"),
        ("0 0 30 2 *", "never fires"),
        ({"at": 3}, "cron"),
        (5, "cron expression"),
    ],
)
def test_bad_frequencies_say_why(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_frequency(bad)


def test_fixed_period_grid_has_no_drift():
    f = parse_frequency("every 15 minutes")
    # however late "now" is, the next due time is on start + k × 15 min
    late = START + dt.timedelta(minutes=31, seconds=59)
    assert f.first_at_or_after(START, late) == START + dt.timedelta(minutes=45)
    assert f.first_after(START, START + dt.timedelta(minutes=15)) == START + dt.timedelta(
        minutes=30
    )
    assert f.first_at_or_after(START, START - dt.timedelta(days=3)) == START


def test_months_step_by_calendar_from_start():
    f = parse_frequency("every 1 month")
    assert f.first_after(START, START) == dt.datetime(2026, 2, 28, 3, 0, tzinfo=UTC)
    # the third occurrence is Mar 31 again: computed from the start, not from Feb 28
    assert f.first_after(START, dt.datetime(2026, 2, 28, 3, 0, tzinfo=UTC)) == dt.datetime(
        2026, 3, 31, 3, 0, tzinfo=UTC
    )
    assert parse_frequency("every 1 year").first_after(START, START).year == 2027


def test_cron_occurrences():
    f = parse_frequency("0 3 * * *")
    assert f.first_at_or_after(START, START) == START
    assert f.first_after(START, START) == START + dt.timedelta(days=1)


def test_validate_schedule():
    validate_schedule({"cron": "0 3 * * *"})
    validate_schedule({"every": "monthly", "start": "Jan 31, 2026 3:00 am"})
    validate_schedule({"every": "1 day", "start": "2026-01-01T03:00:00Z", "end": None})
    for bad, fragment in [
        ({"cron": "0 3 * * *", "every": "1 day"}, "exactly one"),
        ({"every": "1 day", "start": "2026-02-01", "end": "2026-01-01"}, "after start"),
        ({"every": "1 day", "when": 1}, "unknown schedule key"),
        ({"every": "1 day", "start": "soon"}, "start"),
        ("daily", "mapping"),
        ({"every": "1 day", "params": {"nope": 1}}, "no parameter 'nope'"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            validate_schedule(bad)
    validate_schedule({"every": "1 day", "params": {"n": "3"}}, (ParamSpec("n", "number"),))


def test_the_editor_knows_the_words_and_units_the_scheduler_reads():
    """workflows never imports the scheduler: the editor's catalog has its own copy."""
    from scheduler.frequency import UNITS, WORDS
    from workflows.editor.catalog import EVERY_WORDS

    assert EVERY_WORDS == WORDS and set(WORDS.values()) <= set(UNITS)
