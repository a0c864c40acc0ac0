"""``exclude_remaining=true`` leaves ``remaining`` out of a search's answer, as Bubble does,
and skips the query that counted every matching thing; a page that is not full needs no
count either (nothing comes after it)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(customer):
    return [Order.objects.create(customer=customer, total=i) for i in range(5)]


def search(api, key, **query):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/1.1/obj/examples.order", query, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    return response.json()["response"], counts


@pytest.mark.parametrize("value", ["true", "True", "1", "yes"])
def test_exclude_remaining_leaves_it_out_and_counts_nothing(api, key, orders, value):
    search(api, key, limit=2)  # caches warmed (the key, privacy rules)
    page, counts = search(api, key, limit=2, cursor=1, exclude_remaining=value)
    assert page.keys() == {"cursor", "results", "count"}
    assert (page["cursor"], page["count"]) == (1, 2)
    assert counts == []


@pytest.mark.parametrize("value", [None, "false", "0", ""])
def test_otherwise_remaining_is_counted(api, key, orders, value):
    query = {"limit": 2, "cursor": 1}
    if value is not None:
        query["exclude_remaining"] = value
    page, counts = search(api, key, **query)
    assert (page["count"], page["remaining"]) == (2, 2)
    assert len(counts) == 1


def test_the_last_page_needs_no_count(api, key, orders):
    search(api, key, limit=2)
    page, counts = search(api, key, limit=4, cursor=3)
    assert (page["count"], page["remaining"]) == (2, 0)
    assert counts == []
    page, _ = search(api, key, cursor=50)
    assert (page["count"], page["remaining"]) == (0, 0)


def test_a_full_last_page_counts_zero_remaining(api, key, orders):
    page, counts = search(api, key, limit=5)
    assert (page["count"], page["remaining"]) == (5, 0)
    assert len(counts) == 1


def test_a_bad_value_is_refused(api, key, orders):
    response = api.get(
        "/api/1.1/obj/examples.order",
        {"exclude_remaining": "maybe"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "exclude_remaining"
