"""The admin's Data section: data types and their fields, option sets, and each type's
things, defined and edited with the test client as a builder's browser would.

Changes of the data model make tables, outside the test's transaction (``data_model``:
transactional, its tables dropped afterwards). Run on PostgreSQL too with
``DATABASE_URL=postgres://...``."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.admin import site
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client

from tests.workflows.admin.conftest import form_data
from tests.workflows.data_model.conftest import LEAD, STAGE, data_model  # noqa: F401
from workflows.admin.data.deleted_fields import holding
from workflows.data_model import registry, schema
from workflows.editor import trial
from workflows.models import DefinitionChange
from workflows.models.data_model import DataField, DataType, Option, OptionSet, SchemaVersion

pytestmark = pytest.mark.usefixtures("data_model")

TYPES = "/admin/workflows/datatype/"
SETS = "/admin/workflows/optionset/"


@pytest.fixture
def lead_type(data_model) -> DataType:  # noqa: F811
    """tests/workflows/data_model's Lead (email, phone, score, owner, tags, stage)."""
    schema.save_option_set(STAGE)
    return schema.create_data_type(LEAD)


@pytest.fixture
def root(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def staff_client(*perms: str, groups: tuple[str, ...] = ()) -> Client:
    user = get_user_model().objects.create_user(
        f"staff{get_user_model().objects.count()}", password="pw-x-123", is_staff=True
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    client = Client()
    client.force_login(user)
    return client


# --- what a browser sends ------------------------------------------------------------------


def _form_values(form) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if field.disabled:
            continue  # a browser does not send a disabled input
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        data[bound.html_name] = "" if value is None else str(value)
    return data


def type_page_data(response) -> dict[str, Any]:
    """What saving a data type's page unchanged sends: its settings, the management form
    and every field row."""
    assert response.status_code == 200, response.status_code
    context = response.context
    data = _form_values(context["adminform"].form)
    management = context["fields_formset"].management_form
    for name in management.fields:
        data[management[name].html_name] = management[name].value()
    for row in context["field_rows"]:
        data.update(_form_values(row))
    return data


def row_prefix(data: dict[str, Any], name: str) -> str:
    for key, value in data.items():
        if key.startswith("fields-") and key.endswith("-name") and value == name:
            return key[: -len("-name")]
    raise LookupError(name)


def add_row(data: dict[str, Any], **values: Any) -> str:
    index = int(data["fields-TOTAL_FORMS"])
    data["fields-TOTAL_FORMS"] = str(index + 1)
    prefix = f"fields-{index}"
    data[f"{prefix}-type"] = "text"
    for key, value in values.items():
        data[f"{prefix}-{key}"] = value
    return prefix


def page_errors(response) -> dict[str, Any]:
    """The errors a re-rendered data type page shows: its settings', then each row's."""
    assert response.status_code == 200, response.status_code
    out: dict[str, Any] = {"type": dict(response.context["adminform"].form.errors)}
    for row in response.context["field_rows"]:
        if row.errors:
            out[str(row["name"].value())] = dict(row.errors)
    return out


def new_type_data(**fields: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Lead",
        "plural": "",
        "display_field": "email",
        "description": "People who might buy",
        "fields-TOTAL_FORMS": "0",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for name, values in fields.items():
        add_row(data, name=name, **values)
    return data


def version() -> int:
    return SchemaVersion.objects.values_list("version", flat=True).first() or 0


def columns(data_type: DataType) -> set[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, data_type.table_name)
    return {c.name for c in described}


# --- defining a data type ------------------------------------------------------------------


def test_a_builder_defines_a_type_and_its_fields(root, superuser):
    schema.save_option_set({"name": "Stage", "options": ["New", "Won"]})
    page = root.get(TYPES + "add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Add another field" in html and "a thing of a data type" in html
    data = new_type_data(
        email={"type": "text", "required": "on", "unique": "on", "help_text": "Work email"},
        score={"type": "number", "default": "0", "indexed": "on"},
        active={"type": "yes_no", "default": "yes"},
        follow_up={"type": "date"},
        stage={"type": "option", "option_set": "Stage"},
        owner={"type": "thing", "data_type": "User"},
        tags={"type": "text", "is_list": "on"},
    )
    response = root.post(TYPES + "add/", data)
    assert response.status_code == 302, page_errors(response)
    lead = DataType.objects.get(name="Lead")
    assert response["Location"] == f"{TYPES}{lead.pk}/change/"
    fields = {f.name: f for f in lead.fields.all()}
    assert list(fields) == ["email", "score", "active", "follow_up", "stage", "owner", "tags"]
    assert (fields["email"].required, fields["email"].unique) == (True, True)
    assert fields["email"].help_text == "Work email"
    assert (fields["score"].default, fields["score"].indexed) == (0.0, True)
    assert fields["active"].default is True
    assert fields["stage"].option_set.name == "Stage"
    assert fields["owner"].target_model == "auth.User"
    assert fields["tags"].is_list
    assert (lead.display_field, lead.description) == ("email", "People who might buy")
    assert {f"f{f.pk}" for f in fields.values() if f.name != "tags"} <= columns(lead)
    change = DefinitionChange.objects.filter(kind="data_type").get()
    assert (change.action, change.user, change.source) == ("created", superuser, "admin")
    page = root.get(response["Location"])
    assert "0 Leads" in page.content.decode()  # the link to its things


def test_fields_are_added_renamed_and_changed_in_one_save(root, lead_type):
    before = version()
    data = type_page_data(root.get(f"{TYPES}{lead_type.pk}/change/"))
    phone = row_prefix(data, "phone")
    data[f"{phone}-name"] = "mobile"
    data[f"{phone}-required"] = "on"
    data[f"{phone}-help_text"] = "With the country code"
    add_row(data, name="company", type="text", indexed="on")
    data["plural"] = "Leads"
    data["_continue"] = "1"
    response = root.post(f"{TYPES}{lead_type.pk}/change/", data)
    assert response.status_code == 302, page_errors(response)
    history = root.get(f"{TYPES}{lead_type.pk}/history/").content.decode()
    assert "Its settings changed, 1 field(s) added, 1 field(s) changed." in history
    mobile = lead_type.fields.get(name="mobile")
    assert (mobile.required, mobile.help_text) == (True, "With the country code")
    assert lead_type.fields.get(name="company").indexed
    assert not lead_type.fields.filter(name="phone").exists()
    lead_type.refresh_from_db()
    assert lead_type.plural == "Leads"
    assert version() == before + 1  # one change: one transaction, one version
    assert registry.built_models()["lead"]._meta.get_field("mobile")


def test_renaming_the_display_field_keeps_it_the_display_field(root, lead_type):
    data = type_page_data(root.get(f"{TYPES}{lead_type.pk}/change/"))
    data[f"{row_prefix(data, 'email')}-name"] = "work_email"  # the select still says email
    response = root.post(f"{TYPES}{lead_type.pk}/change/", data)
    assert response.status_code == 302, page_errors(response)
    lead_type.refresh_from_db()
    assert lead_type.display_field == "work_email"


@pytest.mark.parametrize(
    ("change", "where", "field", "message"),
    [
        ({"phone": {"name": "bad name"}}, "bad name", "name", "not a valid name"),
        ({"phone": {"name": "email"}}, "email", "name", "already has a field named"),
        ({"phone": {"name": "created_date"}}, "created_date", "name", "built-in name"),
        ({"score": {"default": "many"}}, "score", "default", "not a number"),
        ({"new": {"name": "amount", "type": "number", "is_list": "on", "unique": "on"}},
         "amount", "is_list", "cannot be unique"),
        ({"new": {"name": "link", "type": "thing"}}, "link", "data_type", "needs data_type"),
        ({"new": {"name": "home", "type": "geographic_address", "default": "x"}},
         "home", "default", "has no default"),
        ({"type": {"name": "User"}}, "type", "name", "already a data type named"),
        ({"type": {"display_field": "tags"}}, "type", "display_field", "not a text, number"),
    ],
)  # fmt: skip
def test_a_refused_change_is_shown_on_its_input_and_changes_nothing(
    root, lead_type, change, where, field, message
):
    before_version = version()
    before_fields = list(DataField.objects.values_list("pk", "name", "required", "deleted_at"))
    data = type_page_data(root.get(f"{TYPES}{lead_type.pk}/change/"))
    data[f"{row_prefix(data, 'tags')}-required"] = "on"  # a good change beside the bad one
    add_row(data, name="company", type="text")
    for target, values in change.items():
        if target == "type":
            data.update(values)
        elif target == "new":
            add_row(data, **values)
        else:
            prefix = row_prefix(data, target)
            data.update({f"{prefix}-{k}": v for k, v in values.items()})
    response = root.post(f"{TYPES}{lead_type.pk}/change/", data)
    errors = page_errors(response)
    assert message in " ".join(errors[where][field]), errors
    assert "Please correct the error" in response.content.decode()
    assert version() == before_version
    assert list(DataField.objects.values_list("pk", "name", "required", "deleted_at")) == (
        before_fields
    )


def test_a_refused_new_type_is_shown_on_its_field_and_makes_nothing(root):
    data = new_type_data(email={"type": "text"}, score={"type": "number", "default": "high"})
    errors = page_errors(root.post(TYPES + "add/", data))
    assert "not a number" in errors["score"]["default"][0]
    data = new_type_data(email={"type": "text"}, other={"type": "option"})
    errors = page_errors(root.post(TYPES + "add/", data))
    assert "needs option_set" in errors["other"]["option_set"][0]
    data = new_type_data(email={"type": "text", "is_list": "on"})
    errors = page_errors(root.post(TYPES + "add/", data))
    assert "display_field" in errors["type"]
    assert not DataType.objects.exists()
    assert version() == 0


# --- deleting, restoring, purging fields ---------------------------------------------------


def test_a_deleted_field_is_restored_with_its_data_then_purged(root, lead_type):
    lead = registry.built_models()["lead"]
    lead.objects.create(email="a@example.com", phone="555")
    lead.objects.create(email="b@example.com")
    data = type_page_data(root.get(f"{TYPES}{lead_type.pk}/change/"))
    data[f"{row_prefix(data, 'phone')}-DELETE"] = "on"
    response = root.post(f"{TYPES}{lead_type.pk}/change/", data)
    assert response.status_code == 302, page_errors(response)
    phone = lead_type.fields.get(name="phone")
    assert phone.is_deleted
    page = root.get(f"{TYPES}{lead_type.pk}/change/").content.decode()
    assert "Deleted fields" in page and "Restore" in page and "Purge…" in page

    # its name taken meanwhile: the restore page asks for another
    schema.add_field(lead_type, {"name": "phone", "type": "number"})
    restore = f"{TYPES}{lead_type.pk}/fields/{phone.pk}/restore/"
    response = root.post(restore, {})
    assert response.status_code == 200
    assert "already has a field named" in response.content.decode()
    response = root.post(restore, {"restore_name": "old_phone"})
    assert response.status_code == 302
    phone.refresh_from_db()
    assert (phone.name, phone.is_deleted) == ("old_phone", False)
    lead = registry.built_models()["lead"]
    assert lead.objects.get(email="a@example.com").old_phone == "555"

    schema.delete_field(phone)
    purge = f"{TYPES}{lead_type.pk}/fields/{phone.pk}/purge/"
    confirm = root.get(purge).content.decode()
    assert "1 Lead</strong> are lost" in confirm and "can no longer be restored" in confirm
    assert holding(phone) == 1
    column = f"f{phone.pk}"
    response = root.post(purge, {"post": "yes"})
    assert response.status_code == 302
    assert not DataField.objects.filter(pk=phone.pk).exists()
    assert column not in columns(lead_type)


def test_the_display_field_cannot_be_deleted(root, lead_type):
    data = type_page_data(root.get(f"{TYPES}{lead_type.pk}/change/"))
    data[f"{row_prefix(data, 'email')}-DELETE"] = "on"
    errors = page_errors(root.post(f"{TYPES}{lead_type.pk}/change/", data))
    assert "display field" in errors["email"]["__all__"][0]
    assert not lead_type.fields.get(name="email").is_deleted


# --- deleting a data type ------------------------------------------------------------------


def test_deleting_a_type_says_what_goes_then_drops_its_table(root, lead_type):
    lead = registry.built_models()["lead"]
    for n in range(3):
        lead.objects.create(email=f"{n}@example.com")
    page = root.get(f"{TYPES}{lead_type.pk}/delete/")
    html = page.content.decode()
    assert "3 Leads: every value in them" in html and "its table" in html
    response = root.post(f"{TYPES}{lead_type.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not DataType.objects.exists()
    assert lead_type.table_name not in connection.introspection.table_names()


def test_a_type_others_point_at_is_not_deleted(root, lead_type):
    schema.create_data_type(
        {"name": "Deal", "fields": [{"name": "lead", "type": "thing", "data_type": "Lead"}]}
    )
    page = root.get(f"{TYPES}{lead_type.pk}/delete/").content.decode()
    assert "Deal.lead" in page
    root.post(f"{TYPES}{lead_type.pk}/delete/", {"post": "yes"})
    assert DataType.objects.filter(pk=lead_type.pk).exists()


def test_the_list_shows_each_type_with_its_things(root, lead_type):
    registry.built_models()["lead"].objects.create(email="a@example.com")
    html = root.get(TYPES).content.decode()
    assert "Lead" in html and "1 Leads" in html and "/admin/things/" in html


# --- option sets ---------------------------------------------------------------------------


def options_data(name: str, rows: list[dict[str, Any]], attributes: list[str] = ()) -> dict:
    """What the option set page sends: the set, its attribute columns, its rows in order."""
    data: dict[str, Any] = {
        "name": name,
        "description": "",
        "options-TOTAL": str(len(rows)),
        "attributes-TOTAL": str(len(attributes)),
        "_save": "Save",
    }
    for j, attribute in enumerate(attributes):
        data[f"attribute-{j}"] = attribute
    for i, row in enumerate(rows):
        data[f"options-{i}-id"] = str(row.get("id", ""))
        data[f"options-{i}-position"] = str(row.get("position", i))
        data[f"options-{i}-display"] = row["display"]
        for j, value in enumerate(row.get("cells", [])):
            data[f"options-{i}-attr-{j}"] = value
        if row.get("delete"):
            data[f"options-{i}-DELETE"] = "on"
    return data


def test_an_option_set_is_made_with_ordered_options_and_attributes(root, superuser):
    assert root.get(SETS + "add/").status_code == 200
    rows = [
        {"display": "New", "cells": ["grey", "1"]},
        {"display": "Won", "cells": ["green", "3"]},
        {"display": "Qualified", "cells": ["", "2"], "position": "1"},
    ]
    rows[1]["position"] = "2"
    response = root.post(SETS + "add/", options_data("Stage", rows, ["color", "order"]))
    assert response.status_code == 302, response.content.decode()
    stage = OptionSet.objects.get(name="Stage")
    options = [(o.display, o.attributes) for o in stage.options.order_by("position")]
    assert options == [
        ("New", {"color": "grey", "order": 1}),
        ("Qualified", {"order": 2}),
        ("Won", {"color": "green", "order": 3}),
    ]
    change = DefinitionChange.objects.get(kind="option_set")
    assert (change.action, change.user, change.source) == ("created", superuser, "admin")
    page = root.get(f"{SETS}{stage.pk}/change/").content.decode()
    assert 'value="color"' in page and 'value="green"' in page


def test_renaming_an_option_or_the_set_keeps_what_things_picked(root, lead_type):
    stage = OptionSet.objects.get(name="Stage")
    ids = {o.display: o.pk for o in stage.options.all()}
    lead = registry.built_models()["lead"]
    lead.objects.create(email="a@example.com", stage_id=ids["Qualified"])
    rows = [
        {"id": ids["New"], "display": "New"},
        {"id": ids["Qualified"], "display": "Qualified lead"},
        {"id": ids["Won"], "display": "Won", "position": "3"},
        {"id": ids["Lost"], "display": "Lost", "position": "2", "delete": True},
    ]
    response = root.post(f"{SETS}{stage.pk}/change/", options_data("Stages", rows))
    assert response.status_code == 302, response.content.decode()
    stage.refresh_from_db()
    assert stage.name == "Stages"
    assert [o.display for o in stage.options.order_by("position")] == [
        "New",
        "Qualified lead",
        "Won",
    ]
    assert lead.objects.get().stage.display == "Qualified lead"
    assert DataField.objects.get(name="stage").option_set_id == stage.pk


def test_a_refused_option_set_is_shown_and_changes_nothing(root, lead_type):
    stage = OptionSet.objects.get(name="Stage")
    before = list(Option.objects.values_list("pk", "display", "position"))
    rows = [{"display": "New"}, {"display": "new"}]
    response = root.post(f"{SETS}{stage.pk}/change/", options_data("Stage", rows))
    assert response.status_code == 200
    assert "listed twice" in response.content.decode()
    rows = [{"display": "Won", "cells": ["green"]}]
    response = root.post(f"{SETS}{stage.pk}/change/", options_data("Stage", rows, [""]))
    assert "give this attribute" in response.content.decode()
    response = root.post(f"{SETS}{stage.pk}/change/", options_data("bad name", [rows[0]]))
    assert "not a valid name" in str(response.context["adminform"].form.errors["name"])
    assert list(Option.objects.values_list("pk", "display", "position")) == before
    assert OptionSet.objects.get().name == "Stage"


def test_an_option_set_a_field_uses_is_not_deleted(root, lead_type):
    stage = OptionSet.objects.get(name="Stage")
    page = root.get(f"{SETS}{stage.pk}/delete/").content.decode()
    assert "Lead.stage" in page
    root.post(f"{SETS}{stage.pk}/delete/", {"post": "yes"})
    assert OptionSet.objects.filter(pk=stage.pk).exists()
    spare = schema.save_option_set({"name": "Color", "options": ["Red"]})
    response = root.post(f"{SETS}{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not OptionSet.objects.filter(pk=spare.pk).exists()


# --- the things of a data type -------------------------------------------------------------


def things_url(data_type: DataType, suffix: str = "") -> str:
    return f"/admin/things/t{data_type.pk}/{suffix}"


def test_the_data_section_lists_the_pages_and_each_type(root, lead_type):
    html = root.get("/admin/").content.decode()
    section = html[html.index('class="app-things') :]
    section = section[: section.index("</table>")]
    assert "Data</a>" in section
    for page in ("Data types", "Option sets", "Leads"):
        assert page in section
    assert section.index("Data types") < section.index("Option sets") < section.index("Leads")
    assert "Data types" not in html[html.index('class="app-workflows') :].split("</table>")[0]
    data_index = root.get("/admin/things/")
    assert data_index.status_code == 200 and "Leads" in data_index.content.decode()


def test_a_type_made_in_the_admin_has_its_things_pages_at_once(root):
    response = root.post(TYPES + "add/", new_type_data(email={"type": "text"}))
    assert response.status_code == 302, page_errors(response)
    lead = DataType.objects.get(name="Lead")
    assert root.get(things_url(lead)).status_code == 200
    assert "Leads" in root.get("/admin/").content.decode()
    schema.change_data_type(lead, {"plural": "Prospects"})
    assert "Prospects" in root.get(things_url(lead)).content.decode()


def test_a_type_made_by_another_process_has_its_pages_here_without_a_restart(root):
    deal = schema.create_data_type({"name": "Deal", "fields": [{"name": "title", "type": "text"}]})
    registry.forget()  # this process has no model of it, as one that did not make it
    assert site.thing_admins() == []
    response = root.get(things_url(deal))  # the request makes the models current first
    assert response.status_code == 200
    assert "Deals" in root.get("/admin/").content.decode()


def test_run_logs_link_a_thing_to_its_page(root, lead_type):
    ann = registry.built_models()["lead"].objects.create(email="ann@example.com")
    root.get("/admin/")  # a request: the URL names of this data model are known
    assert trial.admin_url("Lead", ann.pk) == things_url(lead_type, f"{ann.pk}/change/")


def thing_form(root, url: str, **values: Any) -> dict[str, Any]:
    data = form_data(root.get(url))
    data.update(values)
    data["_save"] = "Save"
    return data


def test_a_thing_is_added_and_changed_with_plain_inputs(root, lead_type, superuser):
    stage = {o.display: o.pk for o in Option.objects.all()}
    add = root.get(things_url(lead_type, "add/"))
    html = add.content.decode()
    assert 'name="email"' in html and 'type="text"' in html  # one line, not a JSON box
    assert "One per line" in html  # tags: a list of texts
    assert "Qualified" in html  # stage: a select of the set's options
    assert "admin-autocomplete" in html  # owner: a search box of users
    data = thing_form(
        root,
        things_url(lead_type, "add/"),
        email="ann@example.com",
        phone="555 0100",
        score="7.5",
        owner=str(superuser.pk),
        tags="hot\nreferral\n",
        stage=str(stage["Qualified"]),
    )
    response = root.post(things_url(lead_type, "add/"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = registry.built_models()["lead"]
    ann = lead.objects.get()
    assert (ann.email, ann.score, ann.tags) == ("ann@example.com", 7.5, ["hot", "referral"])
    assert (ann.owner, ann.stage.display, ann.created_by) == (superuser, "Qualified", superuser)

    listing = root.get(things_url(lead_type)).content.decode()
    assert "ann@example.com" in listing and "Created Date" in listing
    assert "Modified Date" in listing
    assert "ann@example.com" in root.get(things_url(lead_type), {"q": "ann"}).content.decode()
    assert "ann@example" not in root.get(things_url(lead_type), {"q": "zed"}).content.decode()

    change = things_url(lead_type, f"{ann.pk}/change/")
    page = root.get(change).content.decode()
    assert "Built-in fields" in page and ann.unique_id in page
    data = thing_form(root, change, score="9", tags="hot")
    response = root.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ann.refresh_from_db()
    assert (ann.score, ann.tags, ann.email) == (9.0, ["hot"], "ann@example.com")
    assert ann.modified_date > ann.created_date
    history = root.get(things_url(lead_type, f"{ann.pk}/history/")).content.decode()
    assert "Changed Score and tags." in history
    # its privacy grants, as every data type's admin page offers
    assert root.get(things_url(lead_type, f"{ann.pk}/permissions/")).status_code == 200

    delete = things_url(lead_type, f"{ann.pk}/delete/")
    assert "ann@example.com" in root.get(delete).content.decode()
    assert root.post(delete, {"post": "yes"}).status_code == 302
    assert not lead.objects.exists()


def test_required_and_unique_fields_are_errors_on_their_input(root, lead_type):
    lead = registry.built_models()["lead"]
    lead.objects.create(email="ann@example.com")
    add = things_url(lead_type, "add/")
    response = root.post(add, thing_form(root, add, email=""))
    assert "This field is required" in str(response.context["adminform"].form.errors["email"])
    response = root.post(add, thing_form(root, add, email="ann@example.com"))
    assert "already exists" in str(response.context["adminform"].form.errors["email"])
    response = root.post(add, thing_form(root, add, email="x@example.com", score="lots"))
    assert "score" in response.context["adminform"].form.errors
    response = root.post(add, thing_form(root, add, email="bad\x00@example.com"))
    assert "Null characters" in str(response.context["adminform"].form.errors["email"])
    assert lead.objects.count() == 1


def test_every_kind_of_field_has_an_input(root, superuser):
    schema.save_option_set({"name": "Tag", "options": ["a", "b", "c"]})
    schema.create_data_type(
        {"name": "Company", "display_field": "name", "fields": [{"name": "name", "type": "text"}]}
    )
    kinds = schema.create_data_type(
        {
            "name": "Kinds",
            "fields": [
                {"name": "active", "type": "yes_no"},
                {"name": "due", "type": "date"},
                {"name": "company", "type": "thing", "data_type": "Company"},
                {"name": "partners", "type": "thing", "data_type": "Company", "list": True},
                {"name": "labels", "type": "option", "option_set": "Tag", "list": True},
                {"name": "scores", "type": "number", "list": True},
                {"name": "dates", "type": "date", "list": True},
                {"name": "logo", "type": "image"},
                {"name": "where", "type": "geographic_address"},
            ],
        }
    )  # fmt: skip
    company = registry.built_models()["company"].objects.create(name="Acme")
    tags = {o.display: o.pk for o in Option.objects.all()}
    add = things_url(kinds, "add/")
    html = root.get(add).content.decode()
    assert 'placeholder="latitude"' in html and "https://… (the image" in html
    assert 'type="checkbox" name="labels"' in html
    data = thing_form(
        root,
        add,
        active="true",
        due_0="2025-03-01",
        due_1="09:30:00",
        company=str(company.pk),
        partners=[str(company.pk)],
        labels=[str(tags["a"]), str(tags["c"])],
        scores="1\n2.5",
        dates="2025-01-31\n2025-02-01 10:00",
        logo="https://example.com/logo.png",
        where_0="1 Main St",
        where_1="48.85",
        where_2="2.35",
    )
    response = root.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    thing = registry.built_models()["kinds"].objects.get()
    assert thing.active is True and thing.due.day == 1
    assert (thing.company, list(thing.partners.all())) == (company, [company])
    assert sorted(o.display for o in thing.labels.all()) == ["a", "c"]
    assert thing.scores == [1.0, 2.5] and len(thing.dates) == 2
    assert thing.logo == "https://example.com/logo.png"
    assert thing.where == {"address": "1 Main St", "lat": 48.85, "lng": 2.35}
    response = root.post(add, {**data, "scores": "1\nmany", "where_0": "", "dates": ""})
    errors = response.context["adminform"].form.errors
    assert "line 2" in str(errors["scores"]) and "address" in str(errors["where"])
    response = root.post(add, {**data, "scores": "inf"})  # as every write refuses it
    assert "not a finite number" in str(response.context["adminform"].form.errors["scores"])
    # a reference to Company (a text field to search by): the admin's search box
    response = root.get(
        "/admin/autocomplete/",
        {"app_label": "things", "model_name": f"t{kinds.pk}", "field_name": "company",
         "term": "ac"},
    )  # fmt: skip
    assert response.json()["results"] == [{"id": str(company.pk), "text": "Acme"}]


# --- who may do what -----------------------------------------------------------------------


def test_a_plain_staff_user_cannot_see_or_change_the_data_model(lead_type):
    client = staff_client()
    assert client.get(TYPES).status_code == 403
    assert client.get(f"{TYPES}{lead_type.pk}/change/").status_code == 403
    assert client.post(TYPES + "add/", new_type_data(other={"type": "text"})).status_code == 403
    assert client.get(SETS).status_code == 403
    assert client.get(things_url(lead_type)).status_code == 403
    assert "Data types" not in client.get("/admin/").content.decode()


def test_the_view_permission_shows_the_data_model_read_only(lead_type):
    client = staff_client("workflows.view_datatype", "workflows.view_optionset")
    page = client.get(f"{TYPES}{lead_type.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "View data type" in html and 'name="_save"' not in html
    assert "Add another field" not in html
    data = type_page_data(page)
    assert client.post(f"{TYPES}{lead_type.pk}/change/", data).status_code == 403
    assert client.get(f"{TYPES}{lead_type.pk}/delete/").status_code == 403
    stage = OptionSet.objects.get()
    assert 'name="_save"' not in client.get(f"{SETS}{stage.pk}/change/").content.decode()
    assert client.post(SETS + "add/", options_data("Color", [{"display": "Red"}])).status_code == (
        403
    )


def test_data_model_editors_change_the_data_model():
    client = staff_client(groups=("Data model editors",))
    response = client.post(TYPES + "add/", new_type_data(email={"type": "text"}))
    assert response.status_code == 302
    lead = DataType.objects.get()
    assert client.post(SETS + "add/", options_data("Color", [{"display": "Red"}])).status_code == (
        302
    )
    # the things are not the data model: their own permissions
    assert client.get(things_url(lead)).status_code == 403


def test_editing_things_takes_the_type_s_own_permissions(lead_type):
    reader = staff_client(f"things.view_t{lead_type.pk}")
    assert reader.get(things_url(lead_type)).status_code == 200
    assert reader.get(things_url(lead_type, "add/")).status_code == 403
    assert "Leads" in reader.get("/admin/").content.decode()
    writer = staff_client(f"things.view_t{lead_type.pk}", f"things.add_t{lead_type.pk}")
    add = things_url(lead_type, "add/")
    response = writer.post(add, thing_form(writer, add, email="ann@example.com", owner=""))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert registry.built_models()["lead"].objects.count() == 1
