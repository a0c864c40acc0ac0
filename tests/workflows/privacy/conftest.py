"""Two customers' orders, two users and a staff user, and rules to make about them.

Every test here starts with no privacy rules at all (the ``privacy`` marker): the data
types are private until a test adds rules with ``rule(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from examples.models import Customer, Order
from workflows.models import PrivacyRule


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/workflows/privacy/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.privacy)


@pytest.fixture
def rule(db) -> Callable[..., PrivacyRule]:
    """A privacy rule on ``examples.Order`` unless told otherwise."""
    counter = iter(range(1000))

    def make(condition: str = "", **fields: Any) -> PrivacyRule:
        fields.setdefault("data_type", "examples.Order")
        if fields.get("everyone_else"):
            fields.setdefault("name", "")
        else:
            fields.setdefault("name", f"rule-{next(counter)}")
        return PrivacyRule.objects.create(condition=condition, position=next(counter), **fields)

    return make


@pytest.fixture
def shop(db, user, other_user, staff_user) -> dict[str, Any]:
    """alice owns orders a1 and a2, bob owns b1; a staff user owns nothing."""
    ann = Customer.objects.create(name="Ann", email="ann@example.com", user=user)
    bob = Customer.objects.create(name="Bob", email="bob@example.com", user=other_user)
    return {
        "ann": ann,
        "bob": bob,
        "a1": Order.objects.create(customer=ann, total=Decimal("10"), status="new", note="a1"),
        "a2": Order.objects.create(customer=ann, total=Decimal("20"), status="paid", note="a2"),
        "b1": Order.objects.create(customer=bob, total=Decimal("30"), status="paid", note="b1"),
    }


@pytest.fixture
def owner_rules(rule) -> None:
    """The usual set: owners see and find their own orders, staff see status and total of
    all, everybody else sees only the status of an order they are given (no searching)."""
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)
    rule("current_user.is_staff", view_fields=["status", "total"], find_in_searches=True)
    rule(everyone_else=True, view_fields=["status"])
