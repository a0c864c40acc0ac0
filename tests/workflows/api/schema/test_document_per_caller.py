"""The Data API's part of the document follows the class of its reader, as privacy rules
decide: anonymous callers see the data types and fields the rules that can hold for
nobody in particular open, users with a key or token what any rule could show them,
staff everything. Workflows' operations are the same for all. Each class has its own
kept document, renewed when a rule, a workflow or the data model changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows.api.schema import hooks
from workflows.models import PrivacyRule

from .conftest import component

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
def shop_rules(db) -> None:
    """Everybody finds orders and sees their status and customer; an order's owner also
    sees its total; a customer sees itself; products have no rule at all."""
    rule(view_fields=["status", "customer"], find_in_searches=True)
    rule(
        condition="thing.customer.user == current_user", view_fields=["total"], modify_via_api=True
    )
    rule("examples.Customer", "thing.user == current_user", view_all=True)


@pytest.fixture
def fetch(api):
    def do(key: str | None = None, client: Any = None) -> dict[str, Any]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        response = (client or api).get("/api/schema/?format=json", **headers)
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def generations(monkeypatch) -> list[int]:
    count = [0]
    original = hooks.build_catalog

    def counting():
        count[0] += 1
        return original()

    monkeypatch.setattr(hooks, "build_catalog", counting)
    return count


def data_paths(doc: dict[str, Any]) -> set[str]:
    return {p for p in doc["paths"] if p.startswith("/api/1.1/obj/")}


def test_anonymous_callers_get_only_what_the_everyone_else_rules_open(shop_rules, fetch):
    doc = fetch()
    assert data_paths(doc) == {ORDER, f"{ORDER}/{{id}}", f"{ORDER}/bulk"}
    order = component(doc, "ExamplesOrder")["properties"]
    assert set(order) == {"_id", "_type", "status", "customer"}
    # nothing anywhere names a hidden field or type
    text = json.dumps(doc)
    assert "examples.Customer" not in text and "ExamplesCustomer" not in text
    assert "examples.Product" not in text and "auth.User" not in text
    assert order["customer"]["description"] == "The id of a thing."
    assert set(component(doc, "ExamplesOrderRequest")["properties"]) == {"status", "customer"}
    assert set(component(doc, "ExamplesOrderPatchRequest")["properties"]) == {"status", "customer"}
    sort = next(p for p in doc["paths"][ORDER]["get"]["parameters"] if p["name"] == "sort_field")
    assert set(sort["schema"]["enum"]) == {"_id", "status", "customer"}


def test_a_rule_that_can_hold_for_nobody_in_particular_opens_to_anonymous_callers(db, fetch):
    rule("examples.Product", "thing.price > 10", view_fields=["name"], find_in_searches=True)
    rule("examples.Customer", "current_user is none", view_fields=["name"])
    rule("examples.Review", "current_user.is_staff", view_all=True)  # false for nobody
    doc = fetch()
    assert set(component(doc, "ExamplesProduct")["properties"]) == {"_id", "_type", "name"}
    assert set(component(doc, "ExamplesCustomer")["properties"]) == {"_id", "_type", "name"}
    assert "/api/1.1/obj/examples.review" not in doc["paths"]


def test_a_type_anyone_may_only_create_documents_what_a_create_takes(db, fetch):
    """A contact form: everybody creates, nobody sees. The create's body names every
    writable field (the create takes them); the thing shows none."""
    rule(create_via_api=True)
    doc = fetch()
    assert set(component(doc, "ExamplesOrder")["properties"]) == {"_id", "_type"}
    create = component(doc, "ExamplesOrderRequest")["properties"]
    assert {"customer", "total", "status", "note"} <= set(create)
    assert component(doc, "ExamplesOrderPatchRequest")["properties"] == {}


def test_users_get_what_any_rule_could_show_them(shop_rules, fetch, key):
    doc = fetch(key)
    assert {ORDER, "/api/1.1/obj/examples.customer"} <= data_paths(doc)
    assert "/api/1.1/obj/examples.product" not in doc["paths"]  # no rule: private to all
    assert "examples.Product" not in json.dumps(doc)
    order = component(doc, "ExamplesOrder")["properties"]
    assert set(order) == {"_id", "_type", "status", "customer", "total"}  # not the note
    assert order["customer"]["description"] == "The id of a examples.Customer."
    assert set(component(doc, "ExamplesOrderPatchRequest")["properties"]) == {
        "status",
        "customer",
        "total",
    }
    assert "email" in component(doc, "ExamplesCustomer")["properties"]


@pytest.mark.parametrize("how", ["staff key", "superuser key", "staff session"])
def test_staff_get_everything(shop_rules, fetch, make_key, staff_user, superuser, how):
    if how == "staff session":
        client = Client()
        client.force_login(staff_user)
        doc = fetch(client=client)
    else:
        doc = fetch(make_key(staff_user if how == "staff key" else superuser))
    assert "/api/1.1/obj/examples.product" in doc["paths"]
    assert "note" in component(doc, "ExamplesOrder")["properties"]
    assert "password" not in component(doc, "AuthUser")["properties"]  # hidden from all


def test_workflows_are_the_same_for_every_caller(shop_rules, fetch, key, make_workflow):
    make_workflow(
        "find-order",
        expose=True,
        auth="none",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[{"type": "return_data", "data": {"order": "{{ params.order }}"}}],
    )
    anonymous, user = fetch(), fetch(key)
    path = "/api/1.1/wf/find-order"
    assert anonymous["paths"][path] == user["paths"][path]
    # the thing it answers shows the fields the caller's class could see
    assert "total" not in component(anonymous, "ExamplesOrder")["properties"]
    assert "total" in component(user, "ExamplesOrder")["properties"]


def test_option_displays_only_of_fields_shown(lead_type, fetch, key):  # noqa: F811
    rule("Lead", view_fields=["email"], find_in_searches=True)
    rule("Lead", "thing.owner == current_user", view_all=True)
    anonymous = fetch()
    assert set(component(anonymous, "Lead")["properties"]) == {"_id", "_type", "email"}
    text = json.dumps(anonymous)
    assert "Qualified" not in text and "Stage" not in text
    user = component(fetch(key), "Lead")["properties"]
    assert user["stage"]["enum"] == ["New", "Qualified", "Won", "Lost", None]


def test_each_class_has_its_own_kept_document(
    shop_rules, fetch, key, make_key, staff_user, generations
):
    staff_key = make_key(staff_user)
    anonymous, user, staff = fetch(), fetch(key), fetch(staff_key)
    assert generations[0] == 3
    assert fetch() == anonymous and fetch(key) == user and fetch(staff_key) == staff
    assert generations[0] == 3
    assert len({json.dumps(d, sort_keys=True) for d in (anonymous, user, staff)}) == 3


def test_a_rule_change_renews_the_documents_that_follow_rules(
    shop_rules, fetch, key, make_key, staff_user, generations
):
    staff_key = make_key(staff_user)
    fetch(), fetch(key), fetch(staff_key)
    everyone_else = PrivacyRule.objects.get(data_type="examples.Order", everyone_else=True)
    everyone_else.view_fields = ["status", "customer", "note"]
    everyone_else.save()
    assert "note" in component(fetch(), "ExamplesOrder")["properties"]
    assert "note" in component(fetch(key), "ExamplesOrder")["properties"]
    fetch(staff_key)  # the same for staff: every field already
    assert generations[0] == 5
    PrivacyRule.objects.filter(data_type="examples.Customer").delete()
    assert "/api/1.1/obj/examples.customer" not in fetch(key)["paths"]
    assert generations[0] == 6


def test_the_answer_varies_with_the_credential(shop_rules, api):
    response = api.get("/api/schema/?format=json")
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"authorization", "cookie"} <= vary


def test_a_bad_key_is_refused_not_served_the_anonymous_document(shop_rules, api):
    response = api.get("/api/schema/?format=json", HTTP_AUTHORIZATION="Bearer nope.nope")
    assert response.status_code == 401
