"""load_examples: every `make run` calls it, so it must be idempotent and keep edits."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from examples.models import Customer, Order, Profile
from examples.services import example_workflow_files
from workflows.models import PrivacyRule, Workflow

pytestmark = pytest.mark.django_db

EXAMPLES = {
    "process-order",
    "order-summary",
    "send-review-request",
    "verify_send",
    "verify_check",
    "latest-verification-code",
    "verify_delete",
    "send_email_template",
    "happy-birthday",
    "schedule-birthday-email",
    "daily-cleanup",
    "signup",
    "login",
}


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_examples", *args, stdout=out)
    return out.getvalue()


def rows() -> tuple:
    return (
        sorted(Workflow.objects.values_list("name", "revision", "updated_at")),
        get_user_model().objects.count(),
        Profile.objects.count(),
        sorted(Customer.objects.values_list("email", flat=True)),
        sorted(Order.objects.values_list("pk", "total", "status")),
    )


def test_the_example_files_exist():
    assert {p.name for p in example_workflow_files()} >= {
        "shop.yaml",
        "verification.yaml",
        "email.yaml",
        "maintenance.yaml",
        "accounts.yaml",
    }


def test_load_examples_twice_changes_nothing_the_second_time():
    out = load()
    assert f"Example workflows: {len(EXAMPLES)} created, 0 updated, 0 unchanged;" in out
    rules = PrivacyRule.objects.count()
    assert rules >= 5 and f"privacy rules: {rules} created, 0 updated, 0 unchanged." in out
    assert "created  customer Ann Example <ann@example.com>" in out
    assert set(Workflow.objects.values_list("name", flat=True)) == EXAMPLES
    demo = get_user_model().objects.get(username="demo")
    assert demo.profile.birthday and not demo.has_usable_password()
    assert Order.objects.filter(status="new", total__gt=0).exists()  # for the tour
    before = rows()
    out = load()
    assert f"0 created, 0 updated, {len(EXAMPLES)} unchanged;" in out
    assert f"privacy rules: 0 created, 0 updated, {rules} unchanged." in out
    assert "Sample data: already there." in out
    assert rows() == before


def test_an_example_edited_in_the_admin_is_kept_unless_reset():
    load()
    Workflow.objects.filter(name="verify_send").update(description="mine")
    out = load()
    assert "kept     verify_send" in out and "1 kept as edited" in out
    assert Workflow.objects.get(name="verify_send").description == "mine"
    out = load("--reset")
    assert "updated  verify_send" in out
    assert Workflow.objects.get(name="verify_send").description != "mine"


def test_a_new_unpaid_order_is_added_once_every_sample_order_is_paid():
    load()
    Order.objects.update(status="paid")
    out = load()
    assert "created  order #" in out
    assert Order.objects.filter(status="new", total__gt=0).count() == 1
    assert "Sample data: already there." in load()
