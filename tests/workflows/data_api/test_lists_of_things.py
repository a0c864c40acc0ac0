"""Lists of things (many-to-many fields) come back as lists of ids, as in Bubble, in the
Data API and in returned data, and can be searched on."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Order, Product
from workflows import engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    return [
        Product.objects.create(name=name, price=Decimal(price))
        for name, price in (("Tea", "4.50"), ("Teapot", "37.50"), ("Cup", "6.00"))
    ]


def get(api, key, path, **query):
    response = api.get(f"/api/1.1/obj/{path}", query, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()["response"]


def test_a_thing_shows_its_list_as_ids(api, key, order, products):
    order.products.set(products[:2])
    body = get(api, key, f"examples.order/{order.pk}")
    assert sorted(body["products"]) == sorted(p.pk for p in products[:2])
    empty = Order.objects.create(customer=order.customer, total=1)
    assert get(api, key, f"examples.order/{empty.pk}")["products"] == []


def test_a_page_of_things_reads_each_list_once_not_once_per_thing(api, key, order, products):
    for _ in range(5):
        Order.objects.create(customer=order.customer, total=1).products.set(products)
    get(api, key, "examples.order", limit=1)  # caches warmed (the key, privacy rules)
    with CaptureQueriesContext(connection) as few:
        get(api, key, "examples.order", limit=2)
    with CaptureQueriesContext(connection) as many:
        page = get(api, key, "examples.order", limit=6)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert sum(len(r["products"]) for r in page["results"]) == 15


def test_writes_through_the_data_api_read_back(api, key, order, products):
    response = api.patch(
        f"/api/1.1/obj/examples.order/{order.pk}",
        {"products": [products[2].pk, products[0].pk]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 204, response.content
    assert sorted(get(api, key, f"examples.order/{order.pk}")["products"]) == sorted(
        [products[0].pk, products[2].pk]
    )


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ({"constraint_type": "contains", "value": "TEA"}, {"with_tea", "with_both"}),
        ({"constraint_type": "not contains", "value": "TEA"}, {"without", "with_pot"}),
        ({"constraint_type": "is_empty"}, {"without"}),
        ({"constraint_type": "is_not_empty"}, {"with_tea", "with_pot", "with_both"}),
        ({"constraint_type": "in", "value": ["TEA", "POT"]}, {"with_tea", "with_pot", "with_both"}),
    ],
)
def test_constraints_on_a_list(api, key, customer, products, constraint, expected):
    tea, pot = products[0], products[1]
    orders = {}
    for name, items in (
        ("without", []),
        ("with_tea", [tea]),
        ("with_pot", [pot]),
        ("with_both", [tea, pot]),
    ):
        orders[name] = Order.objects.create(customer=customer, total=1, note=name)
        orders[name].products.set(items)
    value = json.loads(
        json.dumps(constraint.get("value"))
        .replace('"TEA"', str(tea.pk))
        .replace('"POT"', str(pot.pk))
    )
    query = {"key": "products", **constraint}
    if "value" in constraint:
        query["value"] = value
    page = get(api, key, "examples.order", constraints=json.dumps([query]))
    notes = [r["note"] for r in page["results"]]
    assert set(notes) == expected
    assert len(notes) == len(set(notes)) == page["count"]  # each thing once


def test_returned_data_shows_lists_of_things(make_workflow, user, order, products):
    wf = make_workflow(
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {
                "id": "o",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"products": "{{ search('examples.Product', name__startswith='Tea') }}"},
            },
            {"type": "return_data", "data": {"order": "{{ steps.o }}"}},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.ok, result.error
    assert sorted(result.response["order"]["products"]) == sorted(p.pk for p in products[:2])


@pytest.mark.privacy
def test_a_list_a_privacy_rule_hides_is_left_out(api, user, key, customer, order, products):
    from workflows.models import PrivacyRule

    PrivacyRule.objects.create(
        data_type="examples.Order",
        everyone_else=True,
        view_fields=["status"],
        find_in_searches=True,
    )
    order.products.set(products)
    body = get(api, key, f"examples.order/{order.pk}")
    assert "products" not in body and body["status"] == "new"


def test_search_through_a_list_finds_each_thing_once(make_workflow, user, order, products):
    order.products.set(products)
    wf = make_workflow(
        actions=[
            {
                "type": "return_data",
                "data": {
                    "n": "{{ search('examples.Order', products__name__startswith='T')|length }}"
                },
            }
        ]
    )
    assert engine.run(wf, {}, user).response == {"n": 1}


def test_sorting_by_a_list_is_refused(api, key, order):
    response = api.get(
        "/api/1.1/obj/examples.order",
        {"sort_field": "products"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "sort_field"
