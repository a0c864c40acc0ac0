"""Every data type's admin page offers guardian's "Object permissions" page, whose grants
privacy rules count (docs/privacy.md), not only the example models' GuardedModelAdmins.

``auth.User`` is the data type tested end to end: Django's own ``UserAdmin`` gets the page
at start-up (``WorkflowsConfig.ready()``) and keeps working as before.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.test import Client
from guardian.admin import GuardedModelAdmin, GuardedModelAdminMixin
from guardian.shortcuts import get_perms

from examples.models import Order
from workflows.admin.object_permissions import (
    add_object_permissions,
    missing_object_permissions,
)
from workflows.checks import check_object_permissions_admin
from workflows.models import PrivacyRule

# no privacy rules: every data type is private, so only a grant opens a thing
pytestmark = pytest.mark.privacy

User = get_user_model()


def user_url(user, page: str = "change/") -> str:
    return f"/admin/auth/user/{user.pk}/{page}"


# --- the User admin -----------------------------------------------------------------------


def test_the_user_admin_is_djangos_with_object_permissions():
    model_admin = admin.site.get_model_admin(User)
    assert isinstance(model_admin, UserAdmin)
    assert isinstance(model_admin, GuardedModelAdminMixin)
    assert model_admin.change_form_template is None  # Django's own template lookup
    assert model_admin.add_form_template == "admin/auth/user/add_form.html"


def test_the_user_change_page_links_to_its_object_permissions(root_client, user):
    response = root_client.get(user_url(user))
    assert response.status_code == 200
    assert f'href="{user_url(user, "permissions/")}"' in response.content.decode()
    assert "Object permissions" in response.content.decode()
    # still Django's user page: the password field links to the password change form
    assert "../password/" in response.content.decode()


def test_the_user_permissions_page_works_for_a_superuser(root_client, user):
    response = root_client.get(user_url(user, "permissions/"))
    assert response.status_code == 200
    assert response.context["object"] == user
    assert "view_user" in dict(response.context["model_perms"].values_list("codename", "name"))


def test_a_staff_user_who_may_not_change_users_is_refused_the_page(staff_user, user):
    client = Client()
    client.force_login(staff_user)
    response = client.get(user_url(user, "permissions/"))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_user_admin_still_changes_passwords_and_saves(root_client, user):
    from .conftest import form_data

    page = root_client.get(user_url(user, "password/"))
    assert page.status_code == 200
    response = root_client.post(
        user_url(user, "password/"),
        {"password1": "n3w-pass-phrase!", "password2": "n3w-pass-phrase!"},
    )
    assert response.status_code == 302, response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password("n3w-pass-phrase!")

    data = form_data(root_client.get(user_url(user)))  # split date/time inputs included
    data["first_name"] = "Alice"
    response = root_client.post(user_url(user), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.first_name == "Alice"


def test_the_add_user_page_is_unchanged(root_client):
    response = root_client.get("/admin/auth/user/add/")
    assert response.status_code == 200
    assert "admin/auth/user/add_form.html" in [t.name for t in response.templates]


# --- a grant made there is a privacy grant ------------------------------------------------


def test_a_view_grant_on_the_users_page_opens_that_user_to_the_grantee(
    root_client, user, other_user, superuser, make_key, api
):
    """bob is given "view user" on alice from alice's admin page, the way an operator
    would; the Data API then lets bob find and read alice, and only her."""
    bob_key = {"HTTP_AUTHORIZATION": f"Bearer {make_key(other_user)}"}
    assert not PrivacyRule.objects.exists()
    assert api.get(f"/api/1.1/obj/auth.user/{user.pk}", **bob_key).status_code == 404

    response = root_client.post(
        user_url(user, "permissions/"), {"user": "bob", "submit_manage_user": "Manage user"}
    )
    manage = user_url(user, f"permissions/user-manage/{other_user.pk}/")
    assert response.status_code == 302 and response["Location"] == manage
    assert root_client.get(manage).status_code == 200
    response = root_client.post(manage, {"permissions": ["view_user"]})
    assert response.status_code == 302
    assert get_perms(other_user, user) == ["view_user"]

    one = api.get(f"/api/1.1/obj/auth.user/{user.pk}", **bob_key)
    assert one.status_code == 200
    assert one.json()["response"]["username"] == "alice"
    assert "password" not in one.json()["response"]
    found = api.get("/api/1.1/obj/auth.user", **bob_key).json()["response"]["results"]
    assert [u["_id"] for u in found] == [user.pk]
    # the page lists the grant
    listing = root_client.get(user_url(user, "permissions/"))
    assert other_user in listing.context["users_perms"]
    # and another user's page is still closed to bob
    assert api.get(f"/api/1.1/obj/auth.user/{superuser.pk}", **bob_key).status_code == 404


# --- any data type ------------------------------------------------------------------------


class PlainGroupAdmin(ModelAdmin):
    change_form_template = "admin/custom_group_change_form.html"
    list_display = ("name",)

    def custom(self):
        return "kept"


def test_every_registered_data_type_admin_has_the_views():
    assert missing_object_permissions() == []
    assert check_object_permissions_admin(None) == []


def test_an_admin_gets_the_views_and_keeps_its_own_behaviour(settings):
    settings.BUBBLE = {**settings.BUBBLE, "DATA_TYPES": ["auth.Group", "examples.Order"]}
    site = AdminSite(name="other")
    site.register(Group, PlainGroupAdmin)
    site.register(Order, GuardedModelAdmin)
    assert missing_object_permissions(site) == [Group]

    assert add_object_permissions(site) == [Group]
    group_admin = site.get_model_admin(Group)
    assert isinstance(group_admin, PlainGroupAdmin)
    assert isinstance(group_admin, GuardedModelAdminMixin)
    assert group_admin.change_form_template == "admin/custom_group_change_form.html"
    assert group_admin.list_display == ("name",) and group_admin.custom() == "kept"
    names = {p.name for p in group_admin.get_urls() if p.name}
    assert {"auth_group_permissions", "auth_group_permissions_manage_user"} <= names
    assert type(site.get_model_admin(Order)) is GuardedModelAdmin  # already had them
    assert missing_object_permissions(site) == []
    assert add_object_permissions(site) == []  # idempotent


def test_a_data_type_without_an_admin_is_left_alone(settings):
    settings.BUBBLE = {**settings.BUBBLE, "DATA_TYPES": ["auth.Group"]}
    site = AdminSite(name="bare")
    assert add_object_permissions(site) == []
    assert not site.is_registered(Group)


def test_the_check_names_a_data_type_admin_registered_too_late(settings):
    settings.BUBBLE = {**settings.BUBBLE, "DATA_TYPES": ["auth.Group"]}
    # Django's GroupAdmin was registered, and not a data type, at start-up
    warnings = check_object_permissions_admin(None)
    assert [(w.id, w.msg.split(" has ")[0]) for w in warnings] == [
        ("workflows.W010", "The admin of data type auth.Group")
    ]


def test_changing_a_data_type_is_not_enough_to_grant_on_it(staff_user, user):
    """A grant is Data API access: a staff user who may change users, without guardian's
    own permissions, can neither open the grant pages nor grant themselves anything."""
    from django.contrib.auth.models import Permission
    from guardian.shortcuts import get_perms

    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    client = Client()
    client.force_login(staff_user)
    manage = user_url(user, f"permissions/user-manage/{staff_user.pk}/")
    assert client.get(user_url(user, "permissions/")).status_code == 302
    response = client.post(manage, {"permissions": ["delete_user", "change_user"]})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert get_perms(staff_user, user) == []
