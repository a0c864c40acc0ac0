"""Rules are cached per process, but an edit, an addition or a deletion applies at once:
the cache is keyed on the rules' ids and ``updated_at``, read on every call."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Order
from workflows.privacy.rules import rules_for


def test_unchanged_rules_cost_one_small_statement(rule):
    rule("thing.customer.user == current_user", view_all=True)
    rules_for(Order)
    with CaptureQueriesContext(connection) as queries:
        assert len(rules_for(Order)) == 1
    assert len(queries) == 1 and "updated_at" in queries[0]["sql"]


def test_an_edit_an_addition_and_a_deletion_apply_at_once(rule):
    first = rule("current_user.is_staff", view_fields=["status"])
    assert [r.view_fields for r in rules_for(Order)] == [frozenset({"status"})]

    first.view_fields = ["status", "total"]
    first.save()
    assert [r.view_fields for r in rules_for(Order)] == [frozenset({"status", "total"})]

    second = rule("thing.customer.user == current_user", view_all=True)
    assert [r.name for r in rules_for(Order)] == [first.name, second.name]

    first.delete()
    assert [r.name for r in rules_for(Order)] == [second.name]


def test_a_caller_changing_the_returned_list_does_not_change_the_cache(rule):
    rule("thing.customer.user == current_user", view_all=True)
    rules_for(Order).clear()
    assert len(rules_for(Order)) == 1
