"""The Data API reads dates as date parameters do (engine.param_types.parse_date): ISO 8601,
epoch milliseconds and Bubble's text forms, in a body and in a constraint; a date field
(no time) takes the same forms. Before, a body's date went through Django's own parsing:
ISO 8601 only, and epoch milliseconds were refused."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import get_user_model

from examples.models import Order, Profile

UTC = datetime.timezone.utc


@pytest.fixture
def headers(staff_user, make_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {make_key(staff_user)}"}


@pytest.fixture
def send(api, headers):
    def do(method: str, url: str, body: dict):
        return getattr(api, method)(f"/api/1.1/obj/{url}", body, format="json", **headers)

    return do


@pytest.mark.parametrize(
    ("raw", "moment"),
    [
        ("Wed Jan 13 2016 10:30:00 GMT+0100 (Central European Standard Time)", (9, 30)),
        ("Jan 13, 2016 10:30 am", (10, 30)),
        ("01/13/2016 10:30 pm", (22, 30)),
        ("2016-01-13T10:30:00Z", (10, 30)),
        (1452681000000, (10, 30)),
    ],
)
def test_a_date_field_takes_every_form(send, api, headers, order, raw, moment):
    response = send("patch", f"examples.order/{order.pk}", {"paid_at": raw})
    assert response.status_code == 204, response.content
    order.refresh_from_db()
    assert order.paid_at == datetime.datetime(2016, 1, 13, *moment, tzinfo=UTC)
    read = api.get(f"/api/1.1/obj/examples.order/{order.pk}", **headers).json()
    assert read["response"]["paid_at"] == order.paid_at.isoformat()


def test_a_calendar_date_field_takes_them_too(send, staff_user):
    owner = get_user_model().objects.create_user("carol", "carol@example.com", "pw-carol-123")
    response = send("post", "examples.profile", {"user": owner.pk, "birthday": "01/13/2016"})
    assert response.status_code == 201, response.content
    profile = Profile.objects.get(user=owner)
    assert profile.birthday == datetime.date(2016, 1, 13)
    send("patch", f"examples.profile/{profile.pk}", {"birthday": "Wed Jan 13 2016"})
    profile.refresh_from_db()
    assert profile.birthday == datetime.date(2016, 1, 13)


@pytest.mark.parametrize("raw", ["hello", "13/13/2016", "2016", "yesterday"])
def test_other_text_is_refused_naming_the_field_and_the_forms(send, order, raw):
    for method, url in (("patch", f"examples.order/{order.pk}"), ("post", "examples.order")):
        body = {"paid_at": raw, "customer": order.customer_id, "total": 1}
        response = send(method, url, body)
        assert response.status_code == 400, response.content
        error = response.json()
        assert error["parameter"] == "paid_at"
        assert "ISO 8601, epoch milliseconds, or text such as 'Jan 13, 2016'" in error["message"]
    order.refresh_from_db()
    assert order.paid_at is None and Order.objects.count() == 1


def test_a_constraint_reads_the_same_forms(api, headers, order, customer):
    paid = Order.objects.create(customer=customer, total=2)
    Order.objects.filter(pk=paid.pk).update(paid_at=datetime.datetime(2016, 1, 14, tzinfo=UTC))
    constraints = [{"key": "paid_at", "constraint_type": "greater than", "value": "Jan 13, 2016"}]
    response = api.get(
        "/api/1.1/obj/examples.order", {"constraints": json.dumps(constraints)}, **headers
    )
    assert response.status_code == 200, response.content
    assert [o["_id"] for o in response.json()["response"]["results"]] == [paid.pk]
