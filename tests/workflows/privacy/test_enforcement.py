"""Privacy rules in runs: searches, lists, thing parameters and returned data show each
caller what the rules grant them, and no more."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from examples.models import Order
from workflows import engine
from workflows.privacy.access import DataAccess

SEARCH = {"type": "return_data", "data": {"orders": "{{ search('examples.Order') }}"}}
ORDER_PARAM = {"key": "order", "type": "thing", "data_type": "examples.Order"}


def notes(response_orders) -> set[str]:
    return {o.get("note", "?") for o in response_orders}


@pytest.fixture
def searcher(make_workflow):
    return make_workflow("searcher", actions=[SEARCH])


@pytest.fixture
def shower(make_workflow):
    return make_workflow(
        "shower",
        parameters=[ORDER_PARAM],
        actions=[{"type": "return_data", "data": {"order": "{{ params.order }}"}}],
    )


def found(workflow, actor) -> list[dict]:
    result = engine.run(workflow, {}, actor)
    assert result.error is None, result.error
    return result.response["orders"]


def test_without_any_rule_a_data_type_is_private(shop, searcher, user, staff_user):
    assert found(searcher, user) == []
    assert found(searcher, staff_user) == []
    assert found(searcher, None) == []


def test_each_user_finds_their_own(shop, owner_rules, searcher, user, other_user):
    assert notes(found(searcher, user)) == {"a1", "a2"}
    assert notes(found(searcher, other_user)) == {"b1"}


def test_staff_find_all_but_see_only_the_fields_granted(shop, owner_rules, searcher, staff_user):
    orders = found(searcher, staff_user)
    assert len(orders) == 3
    for order in orders:
        assert set(order) == {"_id", "_type", "status", "total"}


def test_an_owner_sees_every_field_of_their_own(shop, owner_rules, searcher, user):
    order = found(searcher, user)[0]
    assert {"customer", "total", "status", "note", "created_at"} <= set(order)


def test_fields_granted_by_two_rules_add_up(shop, rule, searcher, user):
    rule("thing.customer.user == current_user", view_fields=["status"], find_in_searches=True)
    rule("thing.total > 15", view_fields=["total"])
    orders = {o["_id"]: o for o in found(searcher, user)}
    assert set(orders[shop["a1"].pk]) == {"_id", "_type", "status"}
    assert set(orders[shop["a2"].pk]) == {"_id", "_type", "status", "total"}


def test_anonymous_callers_get_only_everyone_else(shop, owner_rules, shower, searcher):
    assert found(searcher, None) == []  # everyone else may not search
    result = engine.run(shower, {"order": shop["a1"].pk}, None)
    assert result.response["order"] == {
        "_id": shop["a1"].pk,
        "_type": "examples.Order",
        "status": "new",
    }


def test_a_thing_parameter_out_of_reach_is_not_found(shop, rule, shower, other_user):
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    with pytest.raises(Exception) as caught:
        engine.run(shower, {"order": shop["a1"].pk}, other_user)
    assert caught.value.code == "NOT_FOUND"
    assert "no examples.Order with id" in caught.value.message  # as if it did not exist


def test_over_rest_another_users_order_is_not_found(
    shop, rule, make_workflow, call, make_key, other_user
):
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    make_workflow(
        "pay",
        expose=True,
        parameters=[ORDER_PARAM],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    response = call("pay", {"order": shop["a1"].pk}, key=make_key(other_user))
    assert response.status_code == 400
    assert response.json()["code"] == "NOT_FOUND"
    assert response.json()["parameter"] == "order"
    shop["a1"].refresh_from_db()
    assert shop["a1"].status == "new"


def test_lists_reached_through_a_relation_hold_only_what_may_be_found(
    shop, rule, make_workflow, user, other_user
):
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    rule("thing.status == 'paid'", view_fields=["status"])  # seen when given, never found
    rule("true", data_type="examples.Customer", view_all=True, find_in_searches=True)
    workflow = make_workflow(
        "orders-of",
        parameters=[{"key": "customer", "type": "thing", "data_type": "examples.Customer"}],
        actions=[{"type": "return_data", "data": {"orders": "{{ params.customer.orders }}"}}],
    )
    mine = engine.run(workflow, {"customer": shop["ann"].pk}, user).response["orders"]
    assert notes(mine) == {"a1", "a2"}
    theirs = engine.run(workflow, {"customer": shop["ann"].pk}, other_user).response["orders"]
    assert theirs == []


def test_guardian_object_permissions_grant_finding_and_every_field(
    shop, owner_rules, searcher, other_user
):
    assign_perm("examples.view_order", other_user, shop["a1"])
    orders = {o["_id"]: o for o in found(searcher, other_user)}
    assert set(orders) == {shop["a1"].pk, shop["b1"].pk}
    assert "note" in orders[shop["a1"].pk]


def test_guardian_group_permissions_count_too(shop, rule, searcher, other_user):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="auditors")
    other_user.groups.add(group)
    assign_perm("examples.view_order", group, shop["a2"])
    assert notes(found(searcher, other_user)) == {"a2"}


def test_a_workflow_that_ignores_privacy_sees_everything(
    shop, owner_rules, make_workflow, other_user
):
    workflow = make_workflow("all-seeing", ignore_privacy=True, actions=[SEARCH])
    orders = found(workflow, other_user)
    assert len(orders) == 3
    assert all("note" in o for o in orders)


def test_superusers_see_everything(shop, owner_rules, searcher, superuser):
    assert len(found(searcher, superuser)) == 3


def test_a_custom_event_that_ignores_privacy_sees_everything_for_its_caller(
    shop, owner_rules, make_workflow, other_user
):
    make_workflow(
        "count-all",
        kind="custom_event",
        ignore_privacy=True,
        actions=[
            {"type": "return_data", "data": {"n": "{{ search('examples.Order')|length }}"}},
        ],
    )
    make_workflow(
        "count-mine",
        kind="custom_event",
        actions=[
            {"type": "return_data", "data": {"n": "{{ search('examples.Order')|length }}"}},
        ],
    )
    workflow = make_workflow(
        "counts",
        actions=[
            {"id": "all", "type": "trigger_custom_event", "workflow": "count-all"},
            {"id": "mine", "type": "trigger_custom_event", "workflow": "count-mine"},
            {
                "type": "return_data",
                "data": {"all": "{{ steps.all.n }}", "mine": "{{ steps.mine.n }}"},
            },
        ],
    )
    assert engine.run(workflow, {}, other_user).response == {"all": 3, "mine": 1}


def test_rule_edits_apply_at_once(shop, rule, searcher, user):
    assert found(searcher, user) == []
    r = rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    assert notes(found(searcher, user)) == {"a1", "a2"}
    r.condition = "thing.status == 'paid'"
    r.save()
    assert notes(found(searcher, user)) == {"a2", "b1"}


def test_a_rule_on_a_missing_field_grants_nothing(shop, rule, searcher, user):
    r = rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    type(r).objects.filter(pk=r.pk).update(condition="thing.vanished == 1")
    assert found(searcher, user) == []


def test_visible_fields_for_many_things_take_one_query(
    shop, owner_rules, user, django_assert_max_num_queries
):
    for i in range(30):
        Order.objects.create(customer=shop["ann"], total=i, note=f"n{i}")
    access = DataAccess(user, ignore_privacy=False)
    things = list(access.findable(Order))
    with django_assert_max_num_queries(3):  # the rules, guardian's groups, the EXISTS columns
        visible = access.fields_for(things)
    assert len(visible) == 32


# --- what expressions read of a thing ------------------------------------------------------


@pytest.fixture
def reader(make_workflow):
    return make_workflow(
        "reader",
        parameters=[ORDER_PARAM],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "status": "{{ params.order.status }}",
                    "note": "{{ params.order.note }}",
                    "customer": "{{ params.order.customer }}",
                    "email": "{{ params.order.customer.email }}",
                    "customer_id": "{{ params.order.customer_id }}",
                    "id": "{{ params.order.id }}",
                },
            }
        ],
    )


def test_expressions_read_hidden_fields_as_none(shop, owner_rules, reader, other_user, user):
    # bob is given alice's order (everyone else may see its status): the rest reads as none
    theirs = engine.run(reader, {"order": shop["a1"].pk}, other_user).response
    assert theirs == {
        "status": "new",
        "note": None,
        "customer": None,
        "email": None,
        "customer_id": None,
        "id": shop["a1"].pk,
    }
    # alice sees her order, but not her customer record: no rule opens customers
    mine = engine.run(reader, {"order": shop["a1"].pk}, user).response
    assert mine["note"] == "a1" and mine["customer_id"] == shop["ann"].pk
    assert mine["customer"] is None and mine["email"] is None


def test_a_reachable_related_thing_reads_as_its_rules_allow(shop, owner_rules, rule, reader, user):
    rule("thing.user == current_user", data_type="examples.Customer", view_fields=["name"])
    mine = engine.run(reader, {"order": shop["a1"].pk}, user).response
    assert mine["customer"]["_id"] == shop["ann"].pk
    assert mine["email"] is None  # the customer's email is not among its visible fields


def test_searching_by_a_hidden_field_finds_nothing(shop, rule, make_workflow, user):
    rule(everyone_else=True, view_fields=["status"], find_in_searches=True)
    probe = make_workflow(
        "probe",
        parameters=[{"key": "q", "type": "text"}],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "by_note": "{{ search('examples.Order', note__startswith=params.q)|length }}",
                    "by_status": "{{ search('examples.Order', status=params.q)|length }}",
                    "by_owner": "{{ search('examples.Order', customer__name=params.q)|length }}",
                },
            }
        ],
    )
    assert engine.run(probe, {"q": "a"}, user).response["by_note"] == 0
    assert engine.run(probe, {"q": "paid"}, user).response["by_status"] == 2
    assert engine.run(probe, {"q": "Ann"}, user).response["by_owner"] == 0


def test_sorting_by_a_hidden_field_is_refused(shop, rule, make_workflow, user):
    rule(everyone_else=True, view_fields=["status", "customer"], find_in_searches=True)
    sorter = make_workflow(
        "sorter",
        parameters=[{"key": "by", "type": "text"}],
        actions=[
            {
                "type": "return_data",
                "data": {"n": "{{ search('examples.Order', sort_by=params.by)|length }}"},
            }
        ],
    )
    assert engine.run(sorter, {"by": "status"}, user).response == {"n": 3}
    assert engine.run(sorter, {"by": "customer"}, user).response == {"n": 3}  # by id
    refused = engine.run(sorter, {"by": "note"}, user)
    assert refused.error is not None and "may not sort by 'note'" in refused.error.message


def test_a_triggers_own_thing_is_read_whole(shop, make_workflow, user):
    # no rule at all: the order is private, yet a trigger about it reads it
    trigger = make_workflow(
        "on-order",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        actions=[{"type": "log", "message": "{{ thing.note }} was {{ thing_before.status }}"}],
    )
    result = engine.run(trigger, {}, user, extra={"thing": shop["a1"], "thing_before": shop["a2"]})
    assert result.error is None
    assert result.run.steps.get().output == "a1 was paid"
