"""Every path that writes a thing refuses a value a database cannot store or give back —
a date outside 0001-01-02..9999-12-30, a number that is not finite, text with NUL or a
lone surrogate — with a 4xx naming the field, and changes nothing.

A year-1 date with a +01:00 offset was stored by PostgreSQL as a year-0 ("BC") date that
Python cannot read back: every later read of the data type answered 500."""

from __future__ import annotations

import pytest

from examples.models import Customer, Order
from workflows import engine
from workflows.data_types import storable_problem

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "0001-01-01T00:00:00Z",  # year 1, but not in a time zone west of UTC
    "9999-12-31T23:00:00-05:00",  # year 10000 in UTC
    "9999-12-31T12:00:00Z",
]


def data_api(api, key, method, path, body=None):
    return getattr(api, method)(
        f"/api/1.1/obj/{path}", body, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_the_data_api_refuses_a_date_out_of_range(api, key, order, value):
    for method, path in (
        ("patch", f"examples.order/{order.pk}"),
        ("put", f"examples.order/{order.pk}"),
        ("post", "examples.order"),
    ):
        body = {"paid_at": value, "customer": order.customer_id, "total": 1}
        response = data_api(api, key, method, path, body)
        assert response.status_code == 400, (method, response.content)
        assert response.json()["parameter"] == "paid_at"
        assert "out of range" in response.json()["message"]
    order.refresh_from_db()
    assert order.paid_at is None and Order.objects.count() == 1
    assert data_api(api, key, "get", "examples.order").status_code == 200


def test_the_data_api_still_takes_dates_inside_the_range(api, key, order):
    response = data_api(
        api, key, "patch", f"examples.order/{order.pk}", {"paid_at": "0001-01-02T00:00:00Z"}
    )
    assert response.status_code == 204, response.content
    assert (
        data_api(api, key, "get", f"examples.order/{order.pk}")
        .json()["response"]["paid_at"]
        .startswith("0001-01-02")
    )


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_date_parameter_out_of_range_is_refused(make_workflow, call, value):
    make_workflow(
        "when",
        expose=True,
        auth="none",
        parameters=[{"key": "at", "type": "date"}],
        actions=[{"type": "return_data", "data": {"at": "{{ params.at }}"}}],
    )
    response = call("when", {"at": value})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_PARAMETER"
    assert response.json()["parameter"] == "at"


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"paid_at": "{{ params.when }}"},
            },
            "paid_at",
        ),
        (
            {
                "type": "make_changes_to_list",
                "list": "{{ [params.order] }}",
                "changes": {"paid_at": "{{ params.when }}"},
            },
            "paid_at",
        ),
        (
            {
                "type": "create_thing",
                "data_type": "examples.Order",
                "fields": {
                    "customer": "{{ params.order.customer }}",
                    "total": 1,
                    "paid_at": "{{ params.when }}",
                },
            },
            "paid_at",
        ),
    ],
)
def test_data_actions_refuse_a_date_an_expression_pushed_out_of_range(
    make_workflow, call, order, action, field
):
    """The parameter is text here: only the data type's field can refuse the date."""
    make_workflow(
        "push",
        expose=True,
        auth="none",
        parameters=[
            {"key": "order", "type": "thing", "data_type": "examples.Order"},
            {"key": "when", "type": "text"},
        ],
        actions=[action],
    )
    response = call("push", {"order": order.pk, "when": "9999-12-31T12:00:00+00:00"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["parameter"] == "when" and field in body["message"]
    assert "out of range" in body["message"]
    order.refresh_from_db()
    assert order.paid_at is None and Order.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"name": "{{ 'x\\ud800y' }}", "email": "a@example.com"}, "lone surrogates"),
        ({"name": "{{ 'nul\\x00' }}", "email": "a@example.com"}, "NUL"),
    ],
)
def test_create_thing_refuses_text_no_database_can_store(make_workflow, user, fields, problem):
    wf = make_workflow(
        actions=[{"type": "create_thing", "data_type": "examples.Customer", "fields": fields}]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and problem in result.error.message
    assert result.error.code == "INVALID_DATA" and "name" in result.error.message
    assert not Customer.objects.exists()


def test_storable_problem_names_what_is_wrong():
    import datetime
    import decimal

    assert storable_problem(float("inf")) == "inf is not a finite number"
    assert storable_problem(decimal.Decimal("NaN")) == "NaN is not a finite number"
    assert "out of range" in storable_problem(datetime.datetime(1, 1, 1))
    assert storable_problem(datetime.date(1, 1, 1)) is None  # a calendar date: no zone
    assert storable_problem(datetime.date(9999, 12, 31)) is None
    assert storable_problem({"a": [1, "ok", {"b": float("nan")}]}) == "nan is not a finite number"
    assert "nested" in storable_problem(_nested(150))
    assert storable_problem({"a": [1, "ok", {"b": 2.5}], "when": datetime.date(2026, 1, 1)}) is None


def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_scheduling_with_a_parameter_no_database_can_store_is_refused(make_workflow, user):
    from scheduler.models import ScheduledRun

    make_workflow("later", parameters=[{"key": "note", "type": "text"}])
    wf = make_workflow(
        actions=[
            {
                "type": "schedule_workflow",
                "workflow": "later",
                "at": "{{ now }}",
                "params": {"note": "{{ 'x\\ud800' }}"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and "lone surrogates" in result.error.message
    assert not ScheduledRun.objects.exists()
