"""Rule conditions become database filters: what each form matches, for users and for
anonymous callers, and what is refused when the rule is saved."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Customer, Order
from workflows.exceptions import ExpressionError
from workflows.privacy.conditions import Untranslatable, translate


def matching(source: str, actor, model=Order) -> set[str]:
    condition = translate(source, model)
    things = model.objects.filter(condition.q(actor))
    if condition.multi:
        things = things.distinct()
    return {getattr(t, "note", None) or t.name for t in things}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("thing.customer.user == current_user", {"a1", "a2"}),
        ("thing.customer.user != current_user", {"b1"}),
        ("thing.status == 'paid'", {"a2", "b1"}),
        ("thing.status in ['new', 'shipped']", {"a1"}),
        ("thing.status not in ['new', 'shipped']", {"a2", "b1"}),
        ("thing.total > 15", {"a2", "b1"}),
        ("thing.total >= 20 and thing.total <= 20", {"a2"}),
        ("10 < thing.total < 30", {"a2"}),
        ("thing.status == 'paid' or thing.total < 15", {"a1", "a2", "b1"}),
        ("not (thing.status == 'paid')", {"a1"}),
        ("thing.paid_at is none", {"a1", "a2", "b1"}),
        ("thing.paid_at is not none", set()),
        ("thing.note", {"a1", "a2", "b1"}),
        ("'1' in thing.note", {"a1", "b1"}),
        ("thing.customer.name == 'Ann'", {"a1", "a2"}),
        ("thing.customer.user.username == current_user.username", {"a1", "a2"}),
        ("thing.customer in current_user.customers", {"a1", "a2"}),
        ("thing.created_at > now - days(1)", {"a1", "a2", "b1"}),
        ("thing.created_at < now - days(1)", set()),
        ("current_user.is_staff", set()),
        ("not current_user.is_staff", {"a1", "a2", "b1"}),
        ("current_user is not none", {"a1", "a2", "b1"}),
        ("thing.total == thing.total", {"a1", "a2", "b1"}),
    ],
)
def test_conditions_match_what_they_say(shop, user, source, expected):
    assert matching(source, user) == expected


def test_a_staff_user_matches_a_staff_condition(shop, staff_user):
    assert matching("current_user.is_staff", staff_user) == {"a1", "a2", "b1"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("thing.customer.user == current_user", set()),
        ("thing.customer.user.email == current_user.email", set()),
        ("thing.customer.user != current_user", {"a1", "a2", "b1", "orphan"}),
        ("current_user is none", {"a1", "a2", "b1", "orphan"}),
        ("current_user.is_staff", set()),
        ("thing.customer in current_user.customers", set()),
    ],
)
def test_an_anonymous_caller_owns_nothing(shop, source, expected):
    # an order without an owner is not the anonymous caller's either
    orphan = Customer.objects.create(name="x", email="x@x.io")
    Order.objects.create(customer=orphan, total=1, note="orphan")
    assert matching(source, None) == expected


def test_many_valued_relations_are_tested_with_in(shop, user):
    assert matching("current_user in thing.customers", user, model=type(user)) == set()
    condition = translate("thing.orders", Customer)
    assert condition.multi
    customers = Customer.objects.filter(condition.q(user)).distinct()
    assert {c.name for c in customers} == {"Ann", "Bob"}


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("thing.customer.name|lower == 'ann'", "the filter |lower"),
        ("params.order == thing", "unknown name 'params'"),
        ("thing.customer == current_user", "never equal to current_user"),
        ("thing.password == 'x'", "no readable field 'password'"),
        ("thing.customer.secret_sauce == 1", "no readable field 'secret_sauce'"),
        ("thing.total * 2 > 10", "cannot be translated"),
        ("thing.total", "is not yes/no"),
        ("search('examples.Order')", "cannot be translated"),
        ("thing.status if current_user else 'x'", "cannot be translated"),
        ("{{ thing.status }}", "without braces"),
        ("thing.status ==", "syntax error"),
        ("thing.__class__ == 1", "no readable field"),
    ],
)
def test_what_cannot_be_a_query_is_refused_when_saved(source, complaint):
    with pytest.raises(ExpressionError) as caught:
        translate(source, Order)
    assert complaint in caught.value.message


def test_the_refusal_says_the_rule_cannot_become_a_query():
    with pytest.raises(Untranslatable, match="cannot be translated into a database query"):
        translate("thing.note|length > 3", Order)


def test_the_filter_is_part_of_the_query_not_a_python_loop(shop, user):
    for i in range(50):
        Order.objects.create(customer=shop["bob"], total=i, note=f"x{i}")
    condition = translate("thing.customer.user == current_user", Order)
    with CaptureQueriesContext(connection) as queries:
        found = list(Order.objects.filter(condition.q(user)))
    assert len(queries) == 1
    assert "user_id" in queries[0]["sql"]
    assert {o.note for o in found} == {"a1", "a2"}


def test_a_blank_text_is_in_no_text(shop, user):
    user.email = ""
    assert matching("current_user.email in thing.note", user) == set()
