"""API keys in the admin: shown once, stored hashed, revoked by an action."""

from __future__ import annotations

import re

from django.contrib import admin
from rest_framework_api_key.models import APIKey

from examples.models import Customer, Order
from workflows.models import ApiKey
from workflows.services import api_key_create

CHANGELIST = "/admin/workflows/apikey/"


def test_changelist_and_forms_render(root_client, user):
    api_key, _ = api_key_create(user=user, name="ci")
    response = root_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"ci" in response.content and b"alice" in response.content
    assert root_client.get(CHANGELIST + "add/").status_code == 200
    response = root_client.get(f"{CHANGELIST}{api_key.pk}/change/")
    assert response.status_code == 200
    assert "last_used_at" in response.context["adminform"].readonly_fields


def test_creating_a_key_shows_it_once_and_stores_only_its_hash(root_client, user):
    response = root_client.post(
        CHANGELIST + "add/",
        {"name": "zapier", "user": str(user.pk), "expiry_date_0": "", "expiry_date_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    match = re.search(r"The API key for zapier is: (\S+)\.", " ".join(messages))
    assert match, messages
    plain = match.group(1)

    stored = ApiKey.objects.get(name="zapier")
    assert stored.user == user
    assert stored.hashed_key != plain and plain not in stored.hashed_key
    assert plain.startswith(stored.prefix + ".")
    assert ApiKey.objects.get_from_key(plain) == stored

    again = root_client.get(f"{CHANGELIST}{stored.pk}/change/")
    assert plain not in again.content.decode()
    assert plain not in root_client.get(CHANGELIST).content.decode()


def test_revoke_action(root_client, user, key, call, make_workflow):
    make_workflow("ping", expose=True, actions=[{"type": "return_data", "data": {"pong": True}}])
    assert call("ping", key=key).status_code == 200
    api_key = ApiKey.objects.get(user=user)
    other, _ = api_key_create(user=user, name="other")
    response = root_client.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Revoked 1 key(s)." in [str(m) for m in response.context["messages"]]
    api_key.refresh_from_db()
    other.refresh_from_db()
    assert api_key.revoked and not other.revoked
    assert call("ping", key=key).status_code == 401


def test_the_librarys_own_key_model_is_not_in_the_admin(root_client):
    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(ApiKey)
    assert root_client.get("/admin/rest_framework_api_key/apikey/").status_code == 404


def test_example_data_types_have_admin_pages(root_client, order):
    for model in ("customer", "order", "profile", "verificationcode"):
        assert root_client.get(f"/admin/examples/{model}/").status_code == 200
        assert root_client.get(f"/admin/examples/{model}/add/").status_code == 200
    assert root_client.get(f"/admin/examples/order/{order.pk}/change/").status_code == 200
    response = root_client.get("/admin/examples/order/", {"status__exact": "new"})
    assert list(response.context["cl"].result_list) == [Order.objects.get()]
    response = root_client.get("/admin/examples/order/", {"q": "ann"})
    assert list(response.context["cl"].result_list) == [Order.objects.get()]
    response = root_client.get("/admin/examples/order/", {"q": str(order.pk)})
    assert list(response.context["cl"].result_list) == [Order.objects.get()]
    response = root_client.get("/admin/examples/customer/", {"q": "ann@example"})
    assert list(response.context["cl"].result_list) == [Customer.objects.get()]
