"""Lists of texts or numbers (Bubble's "list of texts", ``workflows.bubble_fields.ListField``;
``examples.Review.tags``) come back in reads as lists, are written as lists of their kind,
and can be searched with ``contains`` / ``not contains`` / ``is_empty``. Lists of things
(many-to-many fields) are covered by test_lists_of_things.py. Runs on SQLite and
PostgreSQL (``has_item`` is SQL of each)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from examples.models import Product, Review
from workflows.bubble_fields import ListField

pytestmark = pytest.mark.django_db

LIST = "/api/1.1/obj/examples.review"


@pytest.fixture
def tea(db):
    return Product.objects.create(name="Tea", price=Decimal("4.50"))


@pytest.fixture
def reviews(tea, user):
    return {
        name: Review.objects.create(product=tea, rating=3, text=name, tags=tags, created_by=user)
        for name, tags in (
            ("green", ["green", "loose leaf"]),
            ("black", ["black", "strong"]),
            ("none", []),
            ("green-tea", ["green tea"]),
        )
    }


def get(api, key, url, **query):
    response = api.get(url, query, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()["response"]


def test_a_list_of_texts_comes_back_as_a_list(api, key, reviews):
    one = get(api, key, f"{LIST}/{reviews['green'].pk}")
    assert one["tags"] == ["green", "loose leaf"]
    page = get(api, key, LIST)
    assert {r["text"]: r["tags"] for r in page["results"]} == {
        "green": ["green", "loose leaf"],
        "black": ["black", "strong"],
        "none": [],
        "green-tea": ["green tea"],
    }


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ({"constraint_type": "contains", "value": "green"}, {"green"}),  # the item, not a word
        ({"constraint_type": "contains", "value": "green tea"}, {"green-tea"}),
        ({"constraint_type": "not contains", "value": "green"}, {"black", "none", "green-tea"}),
        ({"constraint_type": "is_empty"}, {"none"}),
        ({"constraint_type": "empty"}, {"none"}),
        ({"constraint_type": "is_not_empty"}, {"green", "black", "green-tea"}),
    ],
)
def test_constraints_on_a_list_of_texts(api, key, reviews, constraint, expected):
    query = json.dumps([{"key": "tags", **constraint}])
    assert {r["text"] for r in get(api, key, LIST, constraints=query)["results"]} == expected


@pytest.mark.parametrize(("value", "message"), [(3, "expected a text"), (["a"], "expected a")])
def test_contains_takes_one_item_of_the_lists_kind(api, key, reviews, value, message):
    query = json.dumps([{"key": "tags", "constraint_type": "contains", "value": value}])
    response = api.get(LIST, {"constraints": query}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_a_list_of_numbers_is_searched_as_numbers(reviews):
    # (the column holds JSON: numbers are searched as numbers on both databases)
    Review.objects.filter(pk=reviews["black"].pk).update(tags=[1, 2.5, 30])
    assert list(Review.objects.filter(tags__has_item=2.5).values_list("text", flat=True)) == [
        "black"
    ]
    assert Review.objects.filter(tags__has_item=30).count() == 1
    assert Review.objects.filter(tags__has_item="30").count() == 0


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("green", "expected a list of texts"),
        ({"a": 1}, "expected a list of texts"),
        (["ok", 3], "item 2 is not a text: 3"),
        ([None], "item 1 is not a text"),
    ],
)
def test_writes_take_a_list_of_texts_only(api, key, tea, tags, message):
    response = api.post(
        LIST,
        {"product": tea.pk, "rating": 1, "tags": tags},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "tags"
    assert message in response.json()["message"]
    assert not Review.objects.exists()


def test_a_list_left_out_is_empty(api, key, tea):
    response = api.post(
        LIST, {"product": tea.pk, "rating": 1}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 201
    assert get(api, key, f"{LIST}/{response.json()['id']}")["tags"] == []


@pytest.mark.parametrize(
    ("of", "good", "bad"),
    [
        ("text", ["a", ""], [1, True, None, ["a"]]),
        ("number", [1, 2.5, Decimal("3.10"), -4], ["1", True, None, [1]]),
    ],
)
def test_the_field_checks_each_item(of, good, bad):
    field = ListField(of=of)
    field.name = "values"
    field.validate(good, None)
    for item in bad:
        with pytest.raises(ValidationError, match="item 1 is not a"):
            field.validate([item], None)


def test_a_list_field_is_of_texts_numbers_or_dates():
    with pytest.raises(ValueError, match="'text', 'number' or 'date'"):
        ListField(of="yes_no")


def test_expressions_and_the_editor_know_a_list_of_texts():
    from workflows.engine.kinds import field_kinds

    kinds = field_kinds("examples.Review")
    assert kinds["tags"].name == "list" and kinds["tags"].item.name == "text"
    assert kinds["created_by"].data_type == "auth.User"
