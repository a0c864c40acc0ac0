"""The Data API's errors name only what the caller's class could see (privacy.audience):
an unknown data type lists the types it could use, an unknown field the fields it could
see (or write), and a field no rule shows it is answered as one that does not exist, so
neither a hidden type's nor a hidden field's name, nor a hidden option field's options,
can be read or probed from an error."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from examples.models import Customer, Order
from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows import data_types
from workflows.models import Option, PrivacyRule

pytestmark = pytest.mark.privacy

ORDER = "/api/1.1/obj/examples.order"


def rule(data_type: str = "examples.Order", condition: str = "", **fields: Any) -> PrivacyRule:
    everyone_else = not condition
    return PrivacyRule.objects.create(
        data_type=data_type,
        name="" if everyone_else else f"{data_type}-{PrivacyRule.objects.count()}",
        condition=condition,
        everyone_else=everyone_else,
        **fields,
    )


@pytest.fixture
def call(api):
    def do(method: str, url: str, key: str | None = None, body: Any = None, **query: Any):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        if method == "get":
            query = {k: json.dumps(v) if isinstance(v, list) else v for k, v in query.items()}
            return api.get(url, query, **headers)
        return getattr(api, method)(url, body, format="json", **headers)

    return do


@pytest.fixture
def shop_rules(db) -> None:
    """Everybody finds orders and sees their status; an owner also sees and changes its
    own orders' totals; a customer sees itself; products have no rule."""
    rule(view_fields=["status"], find_in_searches=True)
    rule(
        condition="thing.customer.user == current_user", view_fields=["total"], modify_via_api=True
    )
    rule("examples.Customer", "thing.user == current_user", view_all=True)


@pytest.fixture
def order(user) -> Order:
    customer = Customer.objects.create(name="Ann", email="ann@example.com", user=user)
    return Order.objects.create(customer=customer, total=Decimal("10"), note="secret")


def message(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    return response.json()["message"]


# --- data types ---------------------------------------------------------------------------


def test_an_unknown_data_type_lists_only_those_the_caller_could_use(
    shop_rules, call, key, make_key, staff_user
):
    assert message(call("get", "/api/1.1/obj/nope"), 404) == (
        "no data type 'nope' (data types: examples.Order)"
    )
    assert message(call("get", "/api/1.1/obj/nope", key), 404) == (
        "no data type 'nope' (data types: examples.Customer, examples.Order)"
    )
    staff = message(call("get", "/api/1.1/obj/nope", make_key(staff_user)), 404)
    assert ", ".join(data_types.allowed_labels()) in staff


def test_without_any_rule_no_data_type_is_listed(db, call, key):
    assert message(call("post", "/api/1.1/obj/nope/bulk", key), 404) == (
        "no data type 'nope' (data types: none)"
    )


# --- fields -------------------------------------------------------------------------------


def test_a_constraint_names_only_fields_the_caller_could_see(shop_rules, order, call, key):
    unknown = [{"key": "colour", "constraint_type": "equals", "value": 1}]
    assert message(call("get", ORDER, constraints=unknown)) == (
        "constraints[0]: examples.Order has no field 'colour' (fields: _id, status)"
    )
    # a hidden field is answered exactly as one that does not exist: its name is no oracle
    hidden = [{"key": "note", "constraint_type": "equals", "value": "secret"}]
    assert message(call("get", ORDER, constraints=hidden)) == (
        "constraints[0]: examples.Order has no field 'note' (fields: _id, status)"
    )
    # a user's class could see the totals (of its own orders)
    assert "(fields: _id, status, total)" in message(call("get", ORDER, key, constraints=unknown))


def test_a_sort_field_names_only_fields_the_caller_could_see(shop_rules, order, call):
    assert message(call("get", ORDER, sort_field="note")) == (
        "sort_field: examples.Order has no field 'note' (fields: _id, status)"
    )
    extra = [{"sort_field": "created_at"}]
    assert "has no field 'created_at'" in message(call("get", ORDER, additional_sort_fields=extra))


def test_a_change_names_only_fields_the_caller_could_write(shop_rules, order, call, key):
    response = call("patch", f"{ORDER}/{order.pk}", key, {"note": "changed"})
    assert message(response) == "examples.Order has no field 'note' (fields: status, total)"
    assert response.json()["parameter"] == "note"
    order.refresh_from_db()
    assert order.note == "secret"


def test_a_create_names_every_field_it_takes(db, call, key):
    rule(create_via_api=True)  # creates, sees nothing: a create still takes every field
    response = call("post", ORDER, key, {"colour": "red"})
    assert "customer, note, paid_at, products" in message(response)


def test_an_object_permission_still_opens_every_field_of_its_thing(
    shop_rules, order, call, make_key, other_user
):
    Order.objects.create(customer=order.customer, total=1, note="other")
    assign_perm("examples.view_order", other_user, order)
    probe = [{"key": "note", "constraint_type": "equals", "value": "secret"}]
    found = call("get", ORDER, make_key(other_user), constraints=probe)
    assert found.status_code == 200, found.content
    assert [r["_id"] for r in found.json()["response"]["results"]] == [order.pk]


# --- options ------------------------------------------------------------------------------


def test_the_options_of_a_hidden_option_field_are_never_listed(lead_type, call):  # noqa: F811
    rule("Lead", view_fields=["email"], find_in_searches=True, modify_via_api=True)
    lead = data_types.get_model("Lead").objects.create(email="ann@example.com")
    probe = [{"key": "stage", "constraint_type": "equals", "value": "Nope"}]
    hidden = message(call("get", "/api/1.1/obj/lead", constraints=probe))
    assert "has no field 'stage'" in hidden and "Qualified" not in hidden
    changed = message(call("patch", f"/api/1.1/obj/lead/{lead.pk}", None, {"stage": "Nope"}))
    assert "has no field 'stage'" in changed and "Qualified" not in changed


def test_the_options_of_a_shown_option_field_are(lead_type, call):  # noqa: F811
    rule("Lead", view_fields=["email", "stage"], find_in_searches=True)
    data_types.get_model("Lead").objects.create(
        email="ann@example.com", stage=Option.objects.get(display="Won")
    )
    probe = [{"key": "stage", "constraint_type": "equals", "value": "Nope"}]
    assert "'Nope' is not an option of Stage" in message(
        call("get", "/api/1.1/obj/lead", constraints=probe)
    )
