"""API keys in the admin: scope (workflows, Data API) and expiry, applied from the next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from workflows.models import ApiKey
from workflows.services import api_key_create, api_key_revoke

CHANGELIST = "/admin/workflows/apikey/"
HELLO = [{"type": "return_data", "data": {"ok": True}}]


@pytest.fixture(autouse=True)
def _no_throttle_history():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def workflows(make_workflow, db):
    make_workflow("allowed", expose=True, actions=HELLO)
    make_workflow("other", expose=True, actions=HELLO)
    make_workflow("an-event", kind="custom_event", actions=HELLO)


def test_adding_a_scoped_expiring_key(root_client, user, workflows, call):
    page = root_client.get(CHANGELIST + "add/")
    field = page.context["adminform"].form.fields["allowed_workflows"]
    assert [value for value, _ in field.choices] == ["allowed", "other"]  # API workflows
    response = root_client.post(
        CHANGELIST + "add/",
        {
            "name": "zapier",
            "user": str(user.pk),
            "allowed_workflows": ["allowed"],
            "expiry_date_0": "2099-12-31",
            "expiry_date_1": "12:00:00",
        },
        follow=True,
    )
    assert response.status_code == 200
    message = " ".join(str(m) for m in response.context["messages"])
    plain = message.split("The API key for zapier is: ")[1].split(". ")[0]

    stored = ApiKey.objects.get(name="zapier")
    assert stored.allowed_workflows == ["allowed"]
    assert stored.allow_data_api is False  # the box was left unticked
    assert stored.expiry_date.year == 2099
    assert call("allowed", key=plain).status_code == 200
    assert call("other", key=plain).status_code == 403


def test_editing_the_scope_and_expiry_applies_on_the_next_request(
    root_client, user, workflows, call
):
    api_key, key = api_key_create(user=user, name="k", workflows=["allowed"])
    assert call("other", key=key).status_code == 403
    url = f"{CHANGELIST}{api_key.pk}/change/"
    data = {
        "name": "k",
        "allowed_workflows": ["allowed", "other"],
        "allow_data_api": "on",
        "expiry_date_0": "",
        "expiry_date_1": "",
    }
    assert root_client.post(url, data).status_code == 302
    assert call("other", key=key).status_code == 200

    past = timezone.localtime(timezone.now() - timedelta(days=1))
    data.update(expiry_date_0=past.strftime("%Y-%m-%d"), expiry_date_1="00:00:00")
    assert root_client.post(url, data).status_code == 302
    assert call("allowed", key=key).status_code == 401

    data.update(allowed_workflows=[], expiry_date_0="", expiry_date_1="")
    assert root_client.post(url, data).status_code == 302
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert (stored.allowed_workflows, stored.expiry_date) == ([], None)


def test_a_scoped_workflow_since_deleted_stays_visible(root_client, user, workflows):
    api_key, _ = api_key_create(user=user, name="k", workflows=["allowed", "gone"])
    page = root_client.get(f"{CHANGELIST}{api_key.pk}/change/")
    choices = dict(page.context["adminform"].form.fields["allowed_workflows"].choices)
    assert choices["gone"] == "gone (no such workflow)"
    listing = root_client.get(CHANGELIST).content.decode()
    assert "allowed, gone; Data API" in listing


def test_a_revoked_keys_scope_is_read_only(root_client, user, workflows):
    api_key, _ = api_key_create(user=user, name="k", workflows=["allowed"])
    api_key_revoke(api_key=api_key)
    page = root_client.get(f"{CHANGELIST}{api_key.pk}/change/")
    readonly = page.context["adminform"].readonly_fields
    assert {"allowed_workflows", "allow_data_api", "expiry_date"} <= set(readonly)
    assert "allowed_workflows" not in page.context["adminform"].form.fields
