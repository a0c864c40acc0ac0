"""Privacy rules in the admin: checked when saved, every change recorded."""

from __future__ import annotations

import pytest
from django.test import Client

from workflows.models import DefinitionChange, PrivacyRule

pytestmark = pytest.mark.privacy

ADD = "/admin/workflows/privacyrule/add/"
LIST = "/admin/workflows/privacyrule/"


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def rule_form(**values):
    data = {
        "data_type": "examples.Order",
        "name": "owner-sees-own",
        "condition": "thing.customer.user == current_user",
        "view_all": "on",
        "view_fields": "",
        "find_in_searches": "on",
        "position": "0",
        "description": "",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_a_rule_is_saved_and_recorded(root_client, superuser):
    response = root_client.post(ADD, rule_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = PrivacyRule.objects.get()
    assert (rule.data_type, rule.name, rule.view_all, rule.find_in_searches) == (
        "examples.Order",
        "owner-sees-own",
        True,
        True,
    )
    change = DefinitionChange.objects.get()
    assert (change.kind, change.action, change.user) == ("privacy_rule", "created", superuser)
    assert change.after["when"] == "thing.customer.user == current_user"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"condition": "thing.customer.name|lower == 'x'"}, "condition", "cannot be translated"),
        ({"condition": "thing.nope == 1"}, "condition", "no readable field 'nope'"),
        ({"condition": "thing.status =="}, "condition", "syntax error"),
        ({"condition": ""}, "condition", "needs a condition"),
        ({"view_all": None, "view_fields": "status, colour"}, "view_fields", "no field 'colour'"),
        ({"data_type": "examples.Spaceship"}, "data_type", "Select a valid choice"),
    ],
)
def test_broken_rules_are_refused_naming_the_field(root_client, values, field, message):
    response = root_client.post(ADD, rule_form(**values))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not PrivacyRule.objects.exists()
    assert not DefinitionChange.objects.exists()


def test_view_fields_are_a_list(root_client):
    response = root_client.post(ADD, rule_form(view_all=None, view_fields="status, total"))
    assert response.status_code == 302
    assert PrivacyRule.objects.get().view_fields == ["status", "total"]


def test_one_everyone_else_rule_per_data_type(root_client):
    everyone = rule_form(everyone_else="on", condition="", name="")
    assert root_client.post(ADD, everyone).status_code == 302
    second = root_client.post(ADD, everyone)
    assert "already has an everyone-else rule" in str(second.context["adminform"].form.errors)
    assert PrivacyRule.objects.count() == 1


def test_an_everyone_else_rule_takes_no_condition(root_client):
    response = root_client.post(ADD, rule_form(everyone_else="on"))
    assert "takes no condition" in str(response.context["adminform"].form.errors)


def test_changes_and_deletions_are_recorded(root_client):
    root_client.post(ADD, rule_form())
    rule = PrivacyRule.objects.get()
    url = f"{LIST}{rule.pk}/change/"
    response = root_client.post(url, rule_form(condition="thing.status == 'paid'"))
    assert response.status_code == 302
    root_client.post(f"{LIST}{rule.pk}/delete/", {"post": "yes"})
    assert not PrivacyRule.objects.exists()
    actions = list(DefinitionChange.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["created", "changed", "deleted"]
    changed = DefinitionChange.objects.get(action="changed")
    assert changed.before["when"] != changed.after["when"]


def test_the_list_names_private_data_types_and_broken_rules(root_client):
    PrivacyRule.objects.create(
        data_type="examples.Order", name="gone", condition="thing.vanished == 1", view_all=True
    )
    response = root_client.get(LIST)
    texts = [str(m) for m in response.context["messages"]]
    assert any("private" in t and "examples.Customer" in t for t in texts)
    assert any("grants nothing until it is fixed" in t for t in texts)


def test_the_change_page_of_a_thing_offers_object_permissions(root_client, order):
    response = root_client.get(f"/admin/examples/order/{order.pk}/permissions/")
    assert response.status_code == 200
