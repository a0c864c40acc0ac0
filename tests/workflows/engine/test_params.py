"""Parameter coercion: every type, lists, optional/default, and each error code."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from examples.models import Order
from workflows.engine.params import ParamSpec, coerce_params, parse_calendar_date
from workflows.engine.values_types import FileValue
from workflows.exceptions import InvalidParameter, MissingParameter, ThingNotFound

UTC = datetime.timezone.utc


def one(spec: ParamSpec, value):
    return coerce_params([spec], {spec.key: value})[spec.key]


def test_text():
    spec = ParamSpec("t", "text")
    assert one(spec, "hi") == "hi"
    assert one(spec, 5) == "5"
    assert one(spec, "") == ""
    with pytest.raises(InvalidParameter, match="expected text"):
        one(spec, {"a": 1})


@pytest.mark.parametrize(
    ("raw", "value"), [(3, 3), (2.5, 2.5), ("7", 7), (" 1.5 ", 1.5), ("-2", -2)]
)
def test_number(raw, value):
    assert one(ParamSpec("n", "number"), raw) == value


@pytest.mark.parametrize("raw", ["abc", True, [1], "nan", "inf"])
def test_number_refuses(raw):
    with pytest.raises(InvalidParameter) as err:
        one(ParamSpec("n", "number"), raw)
    assert err.value.parameter == "n"
    assert err.value.code == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("raw", "value"), [(True, True), ("yes", True), ("false", False), ("0", False), (1, True)]
)
def test_yes_no(raw, value):
    assert one(ParamSpec("b", "yes_no"), raw) is value


def test_yes_no_refuses_other_text():
    with pytest.raises(InvalidParameter, match="expected yes/no"):
        one(ParamSpec("b", "yes_no"), "maybe")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2026-05-01T10:00:00Z", datetime.datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01T12:00:00+02:00", datetime.datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01", datetime.datetime(2026, 5, 1, tzinfo=UTC)),
        (1777629600000, datetime.datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("1777629600000", datetime.datetime(2026, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_date_accepts_iso_8601_and_epoch_milliseconds(raw, value):
    assert one(ParamSpec("d", "date"), raw) == value


JAN_13 = datetime.datetime(2016, 1, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Wed Jan 13 2016", JAN_13),
        ("01/13/2016", JAN_13),  # month/day/year, as Bubble
        ("1/13/2016", JAN_13),
        ("Jan 13, 2016", JAN_13),
        ("January 13, 2016", JAN_13),
        ("13 Jan 2016", JAN_13),
        ("  wednesday, january 13th, 2016  ", JAN_13),
        ("01/13/2016 10:30", JAN_13.replace(hour=10, minute=30)),
        ("Jan 13 2016 10:30:15", JAN_13.replace(hour=10, minute=30, second=15)),
        ("Jan 13, 2016 10:30 am", JAN_13.replace(hour=10, minute=30)),
        ("13 Jan 2016 10:30 PM", JAN_13.replace(hour=22, minute=30)),
        ("Jan 13, 2016 12:05 am", JAN_13.replace(minute=5)),
        ("January 13, 2016 at 10:30 p.m.", JAN_13.replace(hour=22, minute=30)),
        (  # JavaScript's Date.toString(): the offset counts, the zone's name is a comment
            "Wed Jan 13 2016 10:30:00 GMT+0100 (Central European Standard Time)",
            JAN_13.replace(hour=9, minute=30),
        ),
        ("Wed Jan 13 2016 10:30:00 GMT-0500 (EST)", JAN_13.replace(hour=15, minute=30)),
        ("Jan 13 2016 10:30 UTC", JAN_13.replace(hour=10, minute=30)),
        ("01/13/2016 10:30 +05:30", JAN_13.replace(hour=5)),
        ("Jan 13 0099", datetime.datetime(99, 1, 13, tzinfo=UTC)),  # not 1999
    ],
)
def test_date_accepts_bubbles_text_forms(raw, value):
    assert one(ParamSpec("d", "date"), raw) == value


def test_a_date_without_a_zone_is_read_in_time_zone_whatever_its_form(settings):
    """As ISO 8601 text without an offset always was: TIME_ZONE (UTC unless set)."""
    settings.TIME_ZONE = "Europe/Paris"
    iso = one(ParamSpec("d", "date"), "2016-01-13T10:30")
    assert iso == datetime.datetime(2016, 1, 13, 9, 30, tzinfo=UTC)
    for text in ("Jan 13, 2016 10:30 am", "01/13/2016 10:30", "Wed Jan 13 2016 10:30:00"):
        assert one(ParamSpec("d", "date"), text) == iso
    # a zone written in the text wins
    assert one(ParamSpec("d", "date"), "Jan 13 2016 10:30 GMT+0000").hour == 10


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("next tuesday", ""),
        ("hello", ""),
        ("yesterday", ""),
        ("13/13/2016", "month must be in 1..12"),
        ("13/01/2016", "month/day/year, as Bubble"),  # never read day first
        ("2016", "5 digits or more"),  # a year alone, not 2 s after 1970
        ("0", "5 digits or more"),
        ("Jan 2016", ""),  # no day: never filled in from today
        ("Jan 13", ""),  # no year
        ("10:30", ""),
        ("Feb 30 2016", "day is out of range for month"),
        ("Thu Jan 13 2016", "2016-01-13 is a Wednesday, not a Thursday"),
        ("Jan 13 2016 25:00", "hour must be in 0..23"),
        ("Jan 13 2016 13:30 pm", "must be from 1 to 12"),
        ("Jan 13 2016 10:30 GMT+2500", "not a time zone offset"),
        ("Jan 13 2016 10:30 EST", ""),  # zone names are ambiguous: offsets only
        ("01/13/16", ""),  # a year has four digits
        ("Jan 13 2016 and more", ""),
        ("Janvier 13 2016", ""),
        ("Jan 13 0000", "not a day of the year 0"),
        ("Dec 31 9999 23:00", "out of range"),  # data_types.check_date, as for ISO 8601
    ],
)
def test_date_refuses_other_text_listing_the_forms(raw, why):
    with pytest.raises(InvalidParameter) as err:
        one(ParamSpec("d", "date"), raw)
    message = err.value.message
    assert err.value.parameter == "d"
    assert why in message
    if why != "out of range":
        assert "ISO 8601, epoch milliseconds, or text such as 'Jan 13, 2016'" in message


def test_calendar_dates_read_the_same_forms(settings):
    settings.TIME_ZONE = "America/New_York"
    day = datetime.date(2016, 1, 13)
    for raw in ("2016-01-13", "01/13/2016", "Wed Jan 13 2016", "Jan 13 2016 11:30 pm", day):
        assert parse_calendar_date(raw) == day
    # a moment is the day it falls on in TIME_ZONE
    assert parse_calendar_date("2016-01-14T03:00:00Z") == day
    assert parse_calendar_date(1452654000000) == datetime.date(2016, 1, 12)  # 03:00Z, 13th
    assert parse_calendar_date("9999-12-31") == datetime.date(9999, 12, 31)  # no zone to move it
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_calendar_date("13/13/2016")


def test_thing_arrives_as_the_object(order):
    assert one(ParamSpec("order", "thing", "examples.Order"), order.pk) == order
    assert one(ParamSpec("order", "thing", "examples.Order"), str(order.pk)) == order
    assert one(ParamSpec("order", "thing", "examples.Order"), order) == order


def test_missing_thing_is_not_found_naming_the_key(db):
    with pytest.raises(ThingNotFound) as err:
        one(ParamSpec("order", "thing", "examples.Order"), 999)
    assert err.value.code == "NOT_FOUND"
    assert err.value.parameter == "order"


def test_malformed_thing_id_is_invalid(db):
    with pytest.raises(InvalidParameter, match="not a valid examples.Order id"):
        one(ParamSpec("order", "thing", "examples.Order"), "abc")


def test_thing_of_another_type_is_invalid(order, user):
    with pytest.raises(InvalidParameter, match="expected a examples.Order"):
        one(ParamSpec("order", "thing", "examples.Order"), user)


def test_list_of_things_in_one_query_keeps_order(customer, django_assert_num_queries):
    a = Order.objects.create(customer=customer, total=1)
    b = Order.objects.create(customer=customer, total=2)
    spec = ParamSpec("orders", "thing", "examples.Order", is_list=True)
    with django_assert_num_queries(1):
        assert one(spec, [b.pk, a.pk]) == [b, a]


def test_list_error_names_the_item(db):
    spec = ParamSpec("n", "number", is_list=True)
    with pytest.raises(InvalidParameter, match=r"'n\[1\]'"):
        one(spec, [1, "x"])
    assert one(spec, "[1, 2]") == [1, 2]
    assert one(spec, 3) == [3]


def test_single_value_refuses_a_list():
    with pytest.raises(InvalidParameter, match="not a list"):
        one(ParamSpec("t", "text"), ["a", "b"])


def test_missing_required_parameter():
    with pytest.raises(MissingParameter) as err:
        coerce_params([ParamSpec("email")], {})
    assert err.value.parameter == "email"
    assert err.value.code == "MISSING_PARAMETER"


def test_optional_and_default():
    specs = [
        ParamSpec("a", "text", optional=True),
        ParamSpec("b", "number", default=5),
        ParamSpec("c", "text", is_list=True, optional=True),
        ParamSpec("d", "number", optional=True),
    ]
    assert coerce_params(specs, {"d": ""}) == {"a": None, "b": 5, "c": [], "d": None}


def test_unknown_keys_are_ignored():
    assert coerce_params([ParamSpec("a")], {"a": "x", "zzz": 1}) == {"a": "x"}


def test_file_from_url_upload_and_base64(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    spec = ParamSpec("f", "file")
    assert one(spec, "https://cdn.example.com/a/report.pdf?x=1").name == "report.pdf"
    uploaded = one(spec, SimpleUploadedFile("hello.txt", b"hello", content_type="text/plain"))
    assert isinstance(uploaded, FileValue) and uploaded.size == 5
    stored = list(tmp_path.rglob("hello.txt"))
    assert stored and stored[0].read_bytes() == b"hello"
    encoded = one(spec, {"filename": "b.txt", "contents": base64.b64encode(b"abc").decode()})
    assert encoded.size == 3
    with pytest.raises(InvalidParameter, match="base64"):
        one(spec, {"filename": "b.txt", "contents": "***"})
    with pytest.raises(InvalidParameter, match="http"):
        one(spec, "ftp://example.com/x")


@pytest.mark.parametrize("huge", [10**30, "99999999999999999999999", -(10**30)])
def test_an_id_too_large_for_the_database_is_invalid_not_a_crash(db, huge):
    spec = ParamSpec("order", "thing", "examples.Order")
    with pytest.raises(InvalidParameter, match="is not a valid examples.Order id"):
        coerce_params([spec], {"order": huge})


def test_a_list_given_as_json_text_is_read_safely():
    """Custom events and the admin's Run now reach the engine with JSON text unchecked."""
    from workflows.engine.params import ParamSpec, coerce_value
    from workflows.exceptions import InvalidParameter

    spec = ParamSpec("tags", "text", is_list=True)
    assert coerce_value(spec, '["a", "b"]') == ["a", "b"]
    for text in ("[" * 1000 + "]" * 1000, '["x\\ud800"]'):
        with pytest.raises(InvalidParameter) as error:
            coerce_value(spec, text)
        assert error.value.parameter == "tags"
