"""The Data API (/api/1.1/obj/...): Bubble's shapes, searches and writes, as privacy rules
allow and no further."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from examples.models import Customer, Order

LIST = "/api/1.1/obj/examples.order"


@pytest.fixture
def get(api):
    def do(url, key=None, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        query = {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()}
        return api.get(url, query, **headers)

    return do


@pytest.fixture
def send(api):
    def do(method, url, body=None, key=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        return getattr(api, method)(url, body, format="json", **headers)

    return do


@pytest.fixture
def alice_key(make_key, user):
    return make_key(user)


@pytest.fixture
def bob_key(make_key, other_user):
    return make_key(other_user)


@pytest.fixture
def staff_key(make_key, staff_user):
    return make_key(staff_user)


# --- reading ------------------------------------------------------------------------------


def test_a_search_answers_in_bubbles_shape(shop, owner_rules, get, alice_key):
    body = get(LIST, alice_key).json()["response"]
    assert body["count"] == 2 and body["remaining"] == 0 and body["cursor"] == 0
    assert {r["note"] for r in body["results"]} == {"a1", "a2"}
    assert {"_id", "_type", "customer", "total", "status"} <= set(body["results"][0])


def test_each_caller_finds_what_rules_grant(shop, owner_rules, get, bob_key, staff_key):
    assert [r["note"] for r in get(LIST, bob_key).json()["response"]["results"]] == ["b1"]
    staff = get(LIST, staff_key).json()["response"]["results"]
    assert len(staff) == 3 and all(set(r) == {"_id", "_type", "status", "total"} for r in staff)
    assert get(LIST).json()["response"]["results"] == []  # anonymous: everyone else, no search


def test_one_thing_shows_only_visible_fields(shop, owner_rules, get, alice_key, bob_key):
    url = f"{LIST}/{shop['a1'].pk}"
    assert get(url, alice_key).json()["response"]["note"] == "a1"
    assert get(url, bob_key).json()["response"] == {
        "_id": shop["a1"].pk,
        "_type": "examples.Order",
        "status": "new",
    }


def test_a_thing_out_of_reach_is_404_like_a_missing_one(shop, rule, get, bob_key):
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    hidden = get(f"{LIST}/{shop['a1'].pk}", bob_key)
    missing = get(f"{LIST}/999999", bob_key)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == "NOT_FOUND"
    assert get(f"{LIST}/not-a-number", bob_key).status_code == 404


def test_the_short_type_name_works_and_unknown_types_are_404(shop, owner_rules, get, alice_key):
    assert get("/api/1.1/obj/order", alice_key).json()["response"]["count"] == 2
    response = get("/api/1.1/obj/spaceship", alice_key)
    assert response.status_code == 404 and "examples.Order" in response.json()["message"]


@pytest.fixture
def many(shop, rule):
    rule("true", view_all=True, find_in_searches=True)
    for i in range(7):
        Order.objects.create(customer=shop["ann"], total=Decimal(i), status="new", note=f"n{i}")


def test_cursor_pagination(many, get, alice_key):
    first = get(LIST, alice_key, limit=4, sort_field="total").json()["response"]
    assert (first["cursor"], first["count"], first["remaining"]) == (0, 4, 6)
    second = get(LIST, alice_key, limit=4, cursor=4, sort_field="total").json()["response"]
    assert (second["count"], second["remaining"]) == (4, 2)
    third = get(LIST, alice_key, limit=4, cursor=8, sort_field="total").json()["response"]
    assert (third["count"], third["remaining"]) == (2, 0)
    seen = [r["_id"] for page in (first, second, third) for r in page["results"]]
    assert len(seen) == len(set(seen)) == 10


def test_sorting(many, get, alice_key):
    down = get(LIST, alice_key, sort_field="total", descending="true").json()["response"]
    totals = [r["total"] for r in down["results"]]
    assert totals == sorted(totals, reverse=True)
    extra = [{"sort_field": "note", "descending": True}]
    both = get(LIST, alice_key, sort_field="status", additional_sort_fields=extra).json()
    assert both["response"]["count"] == 10


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ({"key": "status", "constraint_type": "equals", "value": "paid"}, {"a2", "b1"}),
        ({"key": "status", "constraint_type": "not equal", "value": "paid"}, {"a1"}),
        ({"key": "total", "constraint_type": "greater than", "value": 15}, {"a2", "b1"}),
        ({"key": "total", "constraint_type": "less than", "value": "15"}, {"a1"}),
        ({"key": "note", "constraint_type": "text contains", "value": "A"}, {"a1", "a2"}),
        ({"key": "note", "constraint_type": "not text contains", "value": "a"}, {"b1"}),
        ({"key": "status", "constraint_type": "in", "value": ["new", "x"]}, {"a1"}),
        ({"key": "status", "constraint_type": "not in", "value": ["new"]}, {"a2", "b1"}),
        ({"key": "paid_at", "constraint_type": "is_empty"}, {"a1", "a2", "b1"}),
        ({"key": "paid_at", "constraint_type": "is_not_empty"}, set()),
        ({"key": "_id", "constraint_type": "equals", "value": "{a1}"}, {"a1"}),
        ({"key": "customer", "constraint_type": "equals", "value": "{ann}"}, {"a1", "a2"}),
    ],
)
def test_constraints(shop, rule, get, alice_key, constraint, expected):
    rule("true", view_all=True, find_in_searches=True)
    if isinstance(constraint.get("value"), str) and constraint["value"].startswith("{"):
        name = constraint["value"][1:-1]
        constraint = {**constraint, "value": shop[name].pk}
    results = get(LIST, alice_key, constraints=[constraint]).json()["response"]["results"]
    assert {r["note"] for r in results} == expected


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"constraints": "not json"}, "constraints"),
        (
            {"constraints": [{"key": "nope", "constraint_type": "equals", "value": 1}]},
            "constraints",
        ),
        (
            {"constraints": [{"key": "total", "constraint_type": "bigger", "value": 1}]},
            "constraints",
        ),
        (
            {"constraints": [{"key": "total", "constraint_type": "greater than", "value": "x"}]},
            "constraints",
        ),
        (
            {"constraints": [{"key": "status", "constraint_type": "geographic_search"}]},
            "constraints",
        ),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "-1"}, "cursor"),
        ({"sort_field": "password"}, "sort_field"),
        ({"descending": "maybe"}, "descending"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(shop, rule, get, alice_key, params, parameter):
    rule("true", view_all=True, find_in_searches=True)
    response = get(LIST, alice_key, **params)
    assert response.status_code == 400, response.content
    assert response.json()["parameter"] == parameter


def test_hidden_fields_cannot_be_probed_with_constraints_or_sorting(
    shop, owner_rules, get, staff_key
):
    # staff find every order but see only status and total: the note is hidden
    probe = [{"key": "note", "constraint_type": "equals", "value": "a1"}]
    assert get(LIST, staff_key, constraints=probe).json()["response"]["results"] == []
    visible = [{"key": "total", "constraint_type": "equals", "value": 10}]
    assert get(LIST, staff_key, constraints=visible).json()["response"]["count"] == 1
    refused = get(LIST, staff_key, sort_field="note")
    assert refused.status_code == 400 and "hides it" in refused.json()["message"]


def test_the_search_is_one_filtered_query_not_a_python_loop(
    shop, owner_rules, get, alice_key, django_assert_max_num_queries
):
    for i in range(200):
        Order.objects.create(customer=shop["bob"], total=i)
    get(LIST, alice_key)  # this process's first request builds what it keeps
    # the key, the data model's and the live version's numbers, the rules' versions, the
    # page, its prefetch and the count: never a query per order
    with django_assert_max_num_queries(8):
        body = get(LIST, alice_key).json()["response"]
    assert body["count"] == 2


# --- writing ------------------------------------------------------------------------------


@pytest.fixture
def writable(rule):
    rule(
        "thing.customer.user == current_user",
        view_all=True,
        find_in_searches=True,
        create_via_api=True,
        modify_via_api=True,
        delete_via_api=True,
    )
    rule("true", data_type="examples.Customer", view_all=True, find_in_searches=True)


def test_create_where_a_rule_grants_it(shop, writable, send, alice_key):
    response = send("post", LIST, {"customer": shop["ann"].pk, "total": "9.50"}, alice_key)
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert order.total == Decimal("9.50") and order.customer == shop["ann"]


def test_create_is_checked_after_the_write_and_rolled_back(shop, writable, send, bob_key):
    before = Order.objects.count()
    response = send("post", LIST, {"customer": shop["ann"].pk, "total": 1}, bob_key)
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert Order.objects.count() == before


def test_without_a_create_grant_nothing_is_created(shop, owner_rules, rule, send, alice_key):
    rule("true", data_type="examples.Customer", view_all=True)
    response = send("post", LIST, {"customer": shop["ann"].pk, "total": 1}, alice_key)
    assert response.status_code == 403
    assert Order.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"customer": 1, "total": 1, "colour": "red"}, "colour"),
        ({"customer": 999999, "total": 1}, "customer"),
        ({"customer": "{ann}", "total": "lots"}, "total"),
        ({"customer": "{ann}"}, "total"),
    ],
)
def test_bad_fields_are_400_naming_the_field(shop, writable, send, alice_key, body, parameter):
    body = {k: shop["ann"].pk if v == "{ann}" else v for k, v in body.items()}
    response = send("post", LIST, body, alice_key)
    assert response.status_code == 400, response.content
    assert response.json()["parameter"] == parameter
    assert Order.objects.count() == 3


def test_a_related_thing_out_of_reach_is_not_found(shop, rule, send, bob_key):
    rule("true", create_via_api=True, view_all=True)
    rule("thing.user == current_user", data_type="examples.Customer", view_all=True)
    response = send("post", LIST, {"customer": shop["ann"].pk, "total": 1}, bob_key)
    assert response.status_code == 400
    assert "no examples.Customer with id" in response.json()["message"]


def test_modify_checks_before_and_after(shop, writable, send, alice_key, bob_key):
    url = f"{LIST}/{shop['a1'].pk}"
    assert send("patch", url, {"status": "shipped"}, alice_key).status_code == 204
    shop["a1"].refresh_from_db()
    assert shop["a1"].status == "shipped"
    # bob cannot see it at all: 404
    assert send("patch", url, {"status": "new"}, bob_key).status_code == 404
    # alice may not hand it to bob's customer: it would leave her reach
    moved = send("patch", url, {"customer": shop["bob"].pk}, alice_key)
    assert moved.status_code == 403
    shop["a1"].refresh_from_db()
    assert shop["a1"].customer == shop["ann"] and shop["a1"].status == "shipped"


def test_modify_without_a_grant_on_a_visible_thing_is_403(shop, owner_rules, send, alice_key):
    response = send("patch", f"{LIST}/{shop['a1'].pk}", {"status": "paid"}, alice_key)
    assert response.status_code == 403


def test_put_replaces_every_field(shop, writable, send, alice_key):
    url = f"{LIST}/{shop['a2'].pk}"
    response = send("put", url, {"customer": shop["ann"].pk, "total": 5}, alice_key)
    assert response.status_code == 204, response.content
    shop["a2"].refresh_from_db()
    assert (shop["a2"].status, shop["a2"].note, shop["a2"].total) == ("new", "", 5)


def test_delete(shop, writable, send, alice_key, bob_key):
    url = f"{LIST}/{shop['a1'].pk}"
    assert send("delete", url, None, bob_key).status_code == 404
    assert send("delete", url, None, alice_key).status_code == 204
    assert not Order.objects.filter(pk=shop["a1"].pk).exists()


def test_protected_fields_are_never_writable(db, rule, send, make_key, user):
    rule("true", data_type="auth.User", view_all=True, modify_via_api=True)
    response = send(
        "patch", f"/api/1.1/obj/auth.user/{user.pk}", {"is_superuser": True}, make_key(user)
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "is_superuser"
    user.refresh_from_db()
    assert not user.is_superuser


def test_a_key_without_data_api_access_is_refused(shop, owner_rules, get, make_key, user):
    from workflows.models import ApiKey

    key = make_key(user)
    ApiKey.objects.filter(user=user).update(allow_data_api=False)
    response = get(LIST, key)
    assert response.status_code == 403


def test_a_customer_created_through_the_api_fires_nothing_it_should_not(
    shop, rule, send, alice_key
):
    rule("true", data_type="examples.Customer", create_via_api=True, view_all=True)
    response = send(
        "post",
        "/api/1.1/obj/examples.customer",
        {"name": "Cy", "email": "cy@example.com"},
        alice_key,
    )
    assert response.status_code == 201
    assert Customer.objects.filter(name="Cy").exists()


def test_ids_too_large_for_the_database_are_refused_not_a_crash(
    shop, writable, get, send, alice_key
):
    assert get(f"{LIST}/{10**30}", alice_key).status_code == 404
    huge = [{"key": "_id", "constraint_type": "equals", "value": 10**30}]
    assert get(LIST, alice_key, constraints=huge).status_code == 400
    body = {"customer": 10**30, "total": 1}
    assert send("post", LIST, body, alice_key).json()["parameter"] == "customer"


def test_without_any_create_grant_validation_reveals_nothing(db, user, send):
    # anonymous, no rule on auth.User: a taken and a free username answer the same
    taken = send("post", "/api/1.1/obj/auth.user", {"username": user.username})
    free = send("post", "/api/1.1/obj/auth.user", {"username": "nobody-has-this"})
    assert taken.status_code == free.status_code == 403
    assert taken.json()["message"] == free.json()["message"]


def test_a_delete_that_would_cascade_beyond_the_callers_rights_is_refused(
    shop, rule, send, alice_key
):
    rule(
        "thing.user == current_user",
        data_type="examples.Customer",
        view_all=True,
        delete_via_api=True,
    )
    url = f"/api/1.1/obj/examples.customer/{shop['ann'].pk}"
    refused = send("delete", url, None, alice_key)
    assert refused.status_code == 409
    assert "would also delete 2 examples.Order" in refused.json()["message"]
    assert Order.objects.filter(customer=shop["ann"]).count() == 2
    rule("thing.customer.user == current_user", delete_via_api=True)
    assert send("delete", url, None, alice_key).status_code == 204
    assert not Order.objects.filter(note__in=["a1", "a2"]).exists()


def test_fields_hidden_from_a_modifier_cannot_be_overwritten(shop, rule, send, alice_key):
    rule("thing.customer.user == current_user", view_fields=["status"], modify_via_api=True)
    url = f"{LIST}/{shop['a1'].pk}"
    # no rule shows a note to anyone but staff... here to nobody: as if there were none
    hidden = send("patch", url, {"note": "overwritten"}, alice_key)
    assert hidden.status_code == 400 and hidden.json()["parameter"] == "note"
    assert hidden.json()["message"] == "examples.Order has no field 'note' (fields: status)"
    assert send("patch", url, {"status": "shipped"}, alice_key).status_code == 204
    shop["a1"].refresh_from_db()
    assert (shop["a1"].note, shop["a1"].status) == ("a1", "shipped")


def test_a_field_shown_to_others_but_hidden_on_this_thing_is_refused(shop, rule, send, alice_key):
    rule("thing.customer.user == current_user", view_fields=["status"], modify_via_api=True)
    rule("current_user.is_staff", view_all=True)  # a user's document names every field
    url = f"{LIST}/{shop['a1'].pk}"
    hidden = send("patch", url, {"note": "overwritten"}, alice_key)
    assert hidden.status_code == 403 and hidden.json()["parameter"] == "note"
    shop["a1"].refresh_from_db()
    assert shop["a1"].note == "a1"
