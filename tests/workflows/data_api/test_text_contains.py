"""``text contains`` with Bubble's keyword semantics: every word of the value begins a word
of the field, in any order, whatever the case; ``not text contains``: not every word does.
Before, the whole value had to occur as written ("hat cat" did not find "the cat in the
hat"). Runs on SQLite and PostgreSQL (the match is a regular expression on both)."""

from __future__ import annotations

import json

import pytest

from examples.models import Order

pytestmark = pytest.mark.django_db

NOTES = {
    "hat": "The cat in the HAT",
    "cats": "Two cats, one dog",
    "concat": "concatenate; category",
    "mail": "Reply to ann@example.com (urgent!)",
    "accent": "Crème brûlée for Zoë",
    "empty": "",
}


@pytest.fixture
def orders(customer):
    return {
        name: Order.objects.create(customer=customer, total=1, note=note)
        for name, note in NOTES.items()
    }


def search(api, key, *constraints):
    response = api.get(
        "/api/1.1/obj/examples.order",
        {"constraints": json.dumps(list(constraints))},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    return response


def _name_of(note):
    return next((name for name, text in NOTES.items() if text == note), None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hat cat", {"hat"}),  # any order
        ("CAT", {"hat", "cats", "concat"}),  # any case; "cats" and "category" begin with it
        ("the hat in", {"hat"}),
        ("cat dog", {"cats"}),  # both words, each somewhere
        ("cat horse", set()),  # every word must occur
        ("cat", {"hat", "cats", "concat"}),  # "category" begins with it, "concatenate" not
        ("example.com", {"mail"}),  # words of the value: "example" and "com"
        ("urgent!", {"mail"}),
        ("  hat,   cat  ", {"hat"}),
        ("brûlée crème", {"accent"}),
        ("zoë", {"accent"}),
        ("atenate", set()),  # inside a word is not a word of the field
    ],
)
def test_text_contains_finds_things_with_every_word(api, key, orders, value, expected):
    page = search(api, key, {"key": "note", "constraint_type": "text contains", "value": value})
    assert {_name_of(r["note"]) for r in page.json()["response"]["results"]} == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hat cat", set(NOTES) - {"hat"}),
        ("cat dog", set(NOTES) - {"cats"}),  # "cat" alone does not exclude "the cat in..."
        ("horse", set(NOTES)),
    ],
)
def test_not_text_contains_is_the_rest(api, key, orders, value, expected):
    page = search(api, key, {"key": "note", "constraint_type": "not text contains", "value": value})
    assert {_name_of(r["note"]) for r in page.json()["response"]["results"]} == expected


def test_contains_on_a_text_field_means_the_same(api, key, orders):
    page = search(api, key, {"key": "note", "constraint_type": "contains", "value": "hat cat"})
    assert [r["note"] for r in page.json()["response"]["results"]] == [NOTES["hat"]]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "expected text with at least one word"),
        ("?! ...", "expected text with at least one word"),
        (12, "expected text"),
        (["hat"], "expected text"),
        (" ".join(f"w{i}" for i in range(11)), "at most 10 different words, got 11"),
        (" ".join(f"w{i}" for i in range(1200)), "at most 10 different words, got 1200"),
    ],
)
def test_a_value_without_words_is_refused(api, key, orders, value, message):
    response = api.get(
        "/api/1.1/obj/examples.order",
        {
            "constraints": json.dumps(
                [{"key": "note", "constraint_type": "text contains", "value": value}]
            )
        },
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "constraints"
    assert message in response.json()["message"]


def test_regular_expression_characters_in_the_value_are_text(api, key, customer):
    Order.objects.create(customer=customer, total=1, note="a.b (c) [d] x*y")
    Order.objects.create(customer=customer, total=1, note="axb")
    for value in ("a.b", "(c)", "[d]", "x*y"):
        page = search(api, key, {"key": "note", "constraint_type": "text contains", "value": value})
        assert [r["note"] for r in page.json()["response"]["results"]] == ["a.b (c) [d] x*y"], value


def test_fifty_constraints_of_ten_words_are_one_query(api, key, orders):
    """SQLite refuses a query nested past 1,000 terms: the most a search may ask stays
    inside it (1,200 words in one value was a 500 before the limit)."""
    ten = " ".join(f"w{i}" for i in range(10))
    constraints = [{"key": "note", "constraint_type": "not text contains", "value": ten}] * 50
    page = search(api, key, *constraints).json()["response"]
    assert page["count"] == len(NOTES)
