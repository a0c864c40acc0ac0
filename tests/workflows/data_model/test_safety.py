"""What a builder types cannot run in a browser, drop the wrong column, or open private
data; names Django would refuse at start-up are refused when they are given."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from workflows import data_types
from workflows.data_model import schema
from workflows.models import DataType, PrivacyRule
from workflows.privacy.access import DataAccess
from workflows.privacy.grants import FIND

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def root(data_model):
    client = Client()
    client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    )
    return client


def test_a_help_text_is_text_in_the_admin_and_the_api_documents(root):
    made = schema.create_data_type(
        {"name": "Note", "fields": [{"name": "title", "type": "text", "help_text": XSS}]}
    )
    page = root.get(f"/admin/things/t{made.pk}/add/").content.decode()
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    redoc = root.get("/api/redoc/").content.decode()
    assert "untrustedSpec" in redoc  # Redoc renders no HTML from the document


def test_purging_a_deleted_field_whose_name_came_back_keeps_the_live_one(data_model):
    made = schema.create_data_type(
        {
            "name": "Purge",
            "fields": [{"name": "title", "type": "text"}, {"name": "phone", "type": "text"}],
        }
    )
    old = made.fields.get(name="phone")
    data_types.get_model("Purge").objects.create(title="a", phone="old")
    schema.delete_field(old)
    schema.add_field(made, {"name": "phone", "type": "text"})
    model = data_types.get_model("Purge")
    model.objects.update(phone="new")
    schema.purge_field(old)
    assert list(data_types.get_model("Purge").objects.values_list("phone", flat=True)) == ["new"]


def test_renaming_fields_cannot_make_a_rule_show_another_field(data_model):
    made = schema.create_data_type(
        {
            "name": "Emp",
            "fields": [{"name": "nickname", "type": "text"}, {"name": "ssn", "type": "text"}],
        }
    )
    PrivacyRule.objects.create(data_type="Emp", everyone_else=True, view_fields=["nickname"])
    schema.change_field(made.fields.get(name="nickname"), {"name": "nick_old"})
    schema.change_field(made.fields.get(name="ssn"), {"name": "nickname"})
    assert PrivacyRule.objects.get(data_type="Emp").view_fields == ["nick_old"]


def test_a_rule_s_condition_follows_a_renamed_field_and_not_its_old_name(data_model):
    """``owner`` renamed ``assignee``, then a new ``owner`` field: the rules still compare
    the assignee, through any chain that reaches it, and nothing else of their text."""
    User = get_user_model()
    ann, bob = (User.objects.create_user(n, f"{n}@example.com", "pw-123456") for n in "ab")
    made = schema.create_data_type(
        {
            "name": "Deal",
            "fields": [
                {"name": "owner", "type": "thing", "data_type": "User"},
                {"name": "note", "type": "text"},
            ],
        }
    )
    schema.create_data_type(
        {"name": "Memo", "fields": [{"name": "deal", "type": "thing", "data_type": "Deal"}]}
    )
    own = PrivacyRule.objects.create(
        data_type="Deal",
        name="mine",
        condition="thing.owner == current_user or thing . owner.is_staff or thing.note == 'owner'",
        view_all=True,
        find_in_searches=True,
    )
    other = PrivacyRule.objects.create(
        data_type="Memo",
        name="on my deals",
        condition="thing.deal.owner == current_user",
        view_all=True,
    )
    schema.change_field(made.fields.get(name="owner"), {"name": "assignee"})
    schema.add_field(made, {"name": "owner", "type": "thing", "data_type": "User"})
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.condition == (
        "thing.assignee == current_user or thing . assignee.is_staff or thing.note == 'owner'"
    )
    assert other.condition == "thing.deal.assignee == current_user"
    Deal = data_types.get_model("Deal")
    Deal.objects.create(assignee=ann, owner=bob)
    for user, found in ((ann, 1), (bob, 0)):
        access = DataAccess(user, ignore_privacy=False)
        assert access.restrict(Deal.objects.all(), FIND).count() == found


def test_a_deleted_type_s_rules_go_with_it_and_cannot_open_a_later_type(data_model):
    ghost = schema.create_data_type({"name": "Ghost"})
    PrivacyRule.objects.create(data_type="Ghost", everyone_else=True, view_all=True)
    schema.delete_data_type(ghost)
    assert not PrivacyRule.objects.filter(data_type="Ghost").exists()
    payroll = schema.create_data_type({"name": "Payroll"})
    PrivacyRule.objects.create(data_type="Ghost", everyone_else=True, view_all=True)  # by hand
    with pytest.raises(schema.SchemaError, match="privacy rules for a data type named 'Ghost'"):
        schema.change_data_type(payroll, {"name": "Ghost"})
    assert DataType.objects.get(pk=payroll.pk).name == "Payroll"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "notes_", "type": "text"}], "cannot be used as a name"),
        ([{"name": "DoesNotExist", "type": "text"}], "is a built-in name"),
        ([{"name": "x", "type": "number", "default": float("nan")}], "finite number"),
        (
            [
                {"name": "owner_id", "type": "text"},
                {"name": "owner", "type": "thing", "data_type": "User"},
            ],
            "a field named owner_id exists",
        ),
        ([{"name": "name\n", "type": "text"}], "is not a valid name"),
    ],
)
def test_names_and_defaults_django_or_json_would_refuse_are_refused(data_model, fields, message):
    with pytest.raises(schema.SchemaError, match=message):
        schema.create_data_type({"name": "T", "fields": fields})
    assert not DataType.objects.exists()


def test_an_option_attribute_a_database_cannot_store_is_refused(data_model):
    with pytest.raises(schema.SchemaError, match="not a finite number"):
        schema.save_option_set({"name": "S", "options": [{"display": "A", "weight": float("inf")}]})
