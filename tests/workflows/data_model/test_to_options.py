"""A text field turned into an option set keeps its values: the things point at the
options of their old texts, under the field's old name and Data API key; the old field is
deleted and restorable (docs/data-types.md#option-sets)."""

from __future__ import annotations

import pytest

from workflows import data_types
from workflows.data_model import schema
from workflows.data_model.schema import SchemaError
from workflows.data_model.to_options import text_to_option_set
from workflows.models import DataField, OptionSet

UNIT = {
    "name": "Unit",
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "status", "type": "text", "bubble_name": "Status", "help_text": "Where it is"},
    ],
}


@pytest.fixture
def units(data_model):
    schema.create_data_type(UNIT)
    model = data_types.get_model("Unit")
    for n, status in enumerate(["open", "closed", "open", None, "open", "sold"]):
        model.objects.create(title=f"Unit {n}", status=status)
    return model


def test_the_values_become_options_and_each_thing_keeps_its_own(units):
    field = DataField.objects.get(name="status")
    made = text_to_option_set(field, "UnitStatus")
    assert (made.name, made.type, made.bubble_name, made.help_text) == (
        "status",
        "option",
        "Status",
        "Where it is",
    )
    options = list(
        OptionSet.objects.get(name="UnitStatus").options.values_list("display", flat=True)
    )
    assert options == ["open", "closed", "sold"]  # most used first
    model = data_types.get_model("Unit")
    kept = {t.title: (t.status.display if t.status else None) for t in model.objects.all()}
    assert kept == {
        "Unit 0": "open",
        "Unit 1": "closed",
        "Unit 2": "open",
        "Unit 3": None,
        "Unit 4": "open",
        "Unit 5": "sold",
    }
    old = DataField.objects.get(pk=field.pk)
    assert old.is_deleted  # restorable, its data kept


def test_a_field_that_is_not_plain_text_or_a_taken_set_name_is_refused(units):
    title = DataField.objects.get(name="title")
    schema.save_option_set({"name": "Taken", "options": ["a"]})
    with pytest.raises(SchemaError, match="already an option set"):
        text_to_option_set(title, "taken")
    model = data_types.get_model("Unit")
    model.objects.create(title="OPEN", status="x")
    model.objects.create(title="open ", status="y")
    with pytest.raises(SchemaError, match="differ only in case"):
        text_to_option_set(title, "Titles")
    assert not OptionSet.objects.filter(name="Titles").exists()
    assert DataField.objects.get(pk=title.pk).type == "text"


def test_the_admin_shows_the_values_then_makes_the_set(units, admin_client):
    field = DataField.objects.get(name="status")
    page = f"/admin/workflows/datatype/{field.data_type_id}/change/"
    assert "Make an option set…" in admin_client.get(page).content.decode()
    url = f"/admin/workflows/datatype/{field.data_type_id}/fields/{field.pk}/option-set/"
    shown = admin_client.get(url).content.decode()
    assert "<li>open</li>" in shown and 'value="UnitStatus"' in shown
    refused = admin_client.post(url, {"set_name": "not a name"})
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    done = admin_client.post(url, {"set_name": "UnitStatus"})
    assert done.status_code == 302
    assert DataField.objects.get(name="status", deleted_at__isnull=True).type == "option"


def test_changing_the_data_model_alone_does_not_show_the_values(units, client, django_user_model):
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_data_model"))
    client.force_login(editor)
    field = DataField.objects.get(name="status")
    assert (
        "Make an option set…"
        not in client.get(
            f"/admin/workflows/datatype/{field.data_type_id}/change/"
        ).content.decode()
    )
    url = f"/admin/workflows/datatype/{field.data_type_id}/fields/{field.pk}/option-set/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"set_name": "UnitStatus"}).status_code == 403
    assert DataField.objects.get(pk=field.pk).type == "text"


def test_with_the_things_own_permissions_too_the_values_are_shown(units, client, django_user_model):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from workflows.data_model.registry import model_for_type

    field = DataField.objects.get(name="status")
    things = ContentType.objects.get_for_model(model_for_type(field.data_type_id))
    editor = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    editor.user_permissions.add(
        Permission.objects.get(codename="change_data_model"),
        *Permission.objects.filter(content_type=things, codename__regex=r"^(view|change)_"),
    )
    client.force_login(editor)
    page = client.get(f"/admin/workflows/datatype/{field.data_type_id}/change/").content.decode()
    assert "Make an option set…" in page
    url = f"/admin/workflows/datatype/{field.data_type_id}/fields/{field.pk}/option-set/"
    assert client.get(url).status_code == 200
