"""A search naming a thing by its unique id tells nothing of things the caller cannot see:
``not equal`` answers the same whether a hidden thing has the id or no thing has, and ids
given as unique ids are not compared by order (which would say where a hidden one sits)."""

from __future__ import annotations

import json

import pytest

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows import data_types
from workflows.models import PrivacyRule

pytestmark = pytest.mark.privacy


@pytest.fixture
def leads(lead_type, user):  # noqa: F811
    """Everyone finds and sees the leads they own; one lead is somebody else's."""
    PrivacyRule.objects.create(
        data_type="Lead",
        name="owners",
        condition="thing.owner == current_user",
        view_all=True,
        find_in_searches=True,
    )
    model = data_types.get_model("Lead")
    mine = model.objects.create(email="mine@example.com", owner=user)
    hidden = model.objects.create(email="hidden@example.com")
    return mine, hidden


def search(api, key, constraints):
    answer = api.get(
        "/api/1.1/obj/lead",
        {"constraints": json.dumps(constraints)},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    return answer.status_code, answer.json()


def test_not_equal_answers_the_same_for_a_hidden_id_and_an_absent_one(leads, api, key):
    mine, hidden = leads
    absent = "1700000000000x000000000000000001"
    seen = [
        search(api, key, [{"key": "_id", "constraint_type": "not equal", "value": uid}])
        for uid in (hidden.unique_id, absent)
    ]
    assert seen[0] == seen[1]
    assert [t["_id"] for t in seen[0][1]["response"]["results"]] == [mine.unique_id]


def test_ids_given_as_unique_ids_are_not_compared_by_order(leads, api, key):
    _, hidden = leads
    status, body = search(
        api, key, [{"key": "_id", "constraint_type": "greater than", "value": hidden.unique_id}]
    )
    assert status == 400 and "equals only" in body["message"]
