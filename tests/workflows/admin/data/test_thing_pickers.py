"""How a thing's admin page picks the things its references point to
(workflows/admin/data/thing_pickers.py), seen with the test client: never a list of every
thing of the target type; a search box when its admin can search it and the user may view
it; otherwise the id, with the thing's name beside it only for a user who may view its
type, in the form, on a read-only page and in the list."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.workflows.data_model.conftest import data_model  # noqa: F401
from workflows.data_model import registry, schema
from workflows.models.data_model import DataType

pytestmark = pytest.mark.usefixtures("data_model")

#: names that only the things pointed at hold: seen on a page, they leaked
COMPANY_CODE = 987654321
PERSON = "Zed Secretperson"
OWNER = "secretowner"


@pytest.fixture
def types(data_model) -> dict[str, DataType]:  # noqa: F811
    """Company (no text field: not searchable), Person (searchable by name), and Deal,
    which points at both, at a list of Companies and at a User."""
    company = schema.create_data_type(
        {"name": "Company", "display_field": "code", "fields": [{"name": "code", "type": "number"}]}
    )
    person = schema.create_data_type(
        {"name": "Person", "display_field": "name", "fields": [{"name": "name", "type": "text"}]}
    )
    deal = schema.create_data_type(
        {
            "name": "Deal",
            "display_field": "title",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "company", "type": "thing", "data_type": "Company"},
                {"name": "partners", "type": "thing", "data_type": "Company", "list": True},
                {"name": "contact", "type": "thing", "data_type": "Person"},
                {"name": "owner", "type": "thing", "data_type": "User"},
            ],
        }
    )
    return {"company": company, "person": person, "deal": deal}


@pytest.fixture
def deal(types):
    models = registry.built_models()
    owner = get_user_model().objects.create_user(OWNER, f"{OWNER}@example.com", "pw-x-123")
    acme = models["company"].objects.create(code=COMPANY_CODE)
    other = models["company"].objects.create(code=COMPANY_CODE + 1)
    zed = models["person"].objects.create(name=PERSON)
    thing = models["deal"].objects.create(
        title="Big one", company=acme, contact=zed, owner=owner, created_by=owner
    )
    thing.partners.set([acme, other])
    return thing


def staff(*perms: str) -> Client:
    user = get_user_model().objects.create_user(
        f"staff{get_user_model().objects.count()}", password="pw-x-123", is_staff=True
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


def perms(data_type: DataType, *actions: str) -> list[str]:
    return [f"things.{action}_t{data_type.pk}" for action in actions]


def url(data_type: DataType, suffix: str = "") -> str:
    return f"/admin/things/t{data_type.pk}/{suffix}"


def input_of(html: str, name: str) -> str:
    """The HTML tag of the input or select named ``name``."""
    found = re.search(rf'<(input|select)[^>]*name="{name}"[^>]*>', html)
    assert found, f"no input named {name}"
    return found.group(0)


def test_a_reference_to_a_type_that_cannot_be_searched_is_its_id_never_a_list(
    superuser, types, deal
):
    root = Client()
    root.force_login(superuser)
    html = root.get(url(types["deal"], f"{deal.pk}/change/")).content.decode()
    company, partners = input_of(html, "company"), input_of(html, "partners")
    assert company.startswith("<input") and "vForeignKeyRawIdAdminField" in company
    assert f'value="{deal.company_id}"' in company
    assert partners.startswith("<input") and "vManyToManyRawIdAdminField" in partners
    assert "<option" not in html.split('name="company"')[1].split("</div>")[0]
    # a user who may view Company: its name beside the id, and the lookup of its list
    assert str(COMPANY_CODE) in html and f"/admin/things/t{types['company'].pk}/?" in html
    # Person can be searched, the user model too: Django's search boxes
    assert "admin-autocomplete" in input_of(html, "contact")
    assert "admin-autocomplete" in input_of(html, "owner")
    # the id typed is saved
    other = registry.built_models()["company"].objects.exclude(pk=deal.company_id).get()
    data = {
        "title": "Big one",
        "company": str(other.pk),
        "partners": f"{other.pk}",
        "contact": str(deal.contact_id),
        "owner": str(deal.owner_id),
        "_save": "Save",
    }
    response = root.post(url(types["deal"], f"{deal.pk}/change/"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert deal.company_id == other.pk and [p.pk for p in deal.partners.all()] == [other.pk]


def test_a_user_who_may_not_view_the_target_sees_ids_and_no_names(types, deal):
    client = staff(*perms(types["deal"], "view", "change", "add"))
    page = url(types["deal"], f"{deal.pk}/change/")
    html = client.get(page).content.decode()
    for name in (str(COMPANY_CODE), PERSON, OWNER):
        assert name not in html, name
    # each reference is its id, with no lookup of a list the user may not open
    assert f'value="{deal.company_id}"' in input_of(html, "company")
    assert f'value="{deal.contact_id}"' in input_of(html, "contact")
    assert f'value="{deal.owner_id}"' in input_of(html, "owner")
    assert "autocomplete" not in input_of(html, "contact")
    assert "related-lookup" not in html
    # Created By, read-only: its id, not the user's name
    assert "Created By (id)" in html and OWNER not in html
    # the search box would not answer them either (Django checks the target's permission)
    search = client.get(
        "/admin/autocomplete/",
        {"app_label": "things", "model_name": f"t{types['deal'].pk}", "field_name": "contact"},
    )
    assert search.status_code == 403
    # and they can still set a reference, by id
    data = {
        "title": "Renamed",
        "company": str(deal.company_id),
        "partners": ",".join(str(p.pk) for p in deal.partners.all()),
        "contact": str(deal.contact_id),
        "owner": "",
        "_save": "Save",
    }
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert (deal.title, deal.owner_id, deal.partners.count()) == ("Renamed", None, 2)
    # the list: the company column as its id
    listing = client.get(url(types["deal"])).content.decode()
    assert "Big one" not in listing and "Renamed" in listing
    assert str(COMPANY_CODE) not in listing and "Company (id)" in listing


def test_a_read_only_page_shows_the_ids_of_what_the_user_may_not_view(types, deal):
    client = staff(*perms(types["deal"], "view"))
    html = client.get(url(types["deal"], f"{deal.pk}/change/")).content.decode()
    assert "View Deal" in html
    for name in (str(COMPANY_CODE), PERSON, OWNER):
        assert name not in html, name
    partners = ", ".join(str(p.pk) for p in deal.partners.order_by("pk"))
    assert partners in html and "Partners (id)" in html
    # with the view permission of Company, its things have their names
    client = staff(*perms(types["deal"], "view"), *perms(types["company"], "view"))
    html = client.get(url(types["deal"], f"{deal.pk}/change/")).content.decode()
    assert str(COMPANY_CODE) in html and PERSON not in html


def test_the_view_permission_of_the_target_gives_its_names_and_search_box(types, deal):
    client = staff(*perms(types["deal"], "view", "change"), *perms(types["person"], "view"))
    html = client.get(url(types["deal"], f"{deal.pk}/change/")).content.decode()
    assert "admin-autocomplete" in input_of(html, "contact") and PERSON in html
    search = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "things",
            "model_name": f"t{types['deal'].pk}",
            "field_name": "contact",
            "term": "zed",
        },
    )
    assert search.json()["results"] == [{"id": str(deal.contact_id), "text": PERSON}]
    # Company still not: its id alone
    assert str(COMPANY_CODE) not in html
