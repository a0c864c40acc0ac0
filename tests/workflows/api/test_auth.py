"""Who may call what: no key, bad key, revoked, expired, anonymous and admin-only workflows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from workflows.models import ApiKey, Run
from workflows.services import api_key_create, api_key_revoke

WHO = [
    {
        "type": "return_data",
        "data": {"user": "{{ current_user.username if current_user else 'anonymous' }}"},
    }
]


@pytest.fixture
def workflows(make_workflow, db):
    make_workflow("open", expose=True, auth="none", actions=WHO)
    make_workflow("users", expose=True, auth="user", actions=WHO)
    make_workflow("admins", expose=True, auth="admin", actions=WHO)


def code(response):
    return response.status_code, response.json().get("code")


def test_anonymous_workflow_runs_without_a_key(call, workflows):
    assert call("open").json()["response"] == {"user": "anonymous"}
    assert Run.objects.get().actor is None


def test_a_key_runs_as_its_user(call, workflows, user, key):
    assert call("users", key=key).json()["response"] == {"user": "alice"}
    assert call("open", key=key).json()["response"] == {"user": "alice"}
    assert set(Run.objects.values_list("actor__username", flat=True)) == {"alice"}


def test_no_key_is_401(call, workflows):
    response = call("users")
    assert code(response) == (401, "UNAUTHENTICATED")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("bad", ["nonsense", "abc.def", "Bearer"])
def test_bad_key_is_401_even_for_anonymous_workflows(api, workflows, bad):
    for name in ("users", "open"):
        response = api.post(f"/api/1.1/wf/{name}", HTTP_AUTHORIZATION=f"Bearer {bad}")
        assert code(response) == (401, "UNAUTHENTICATED")


def test_a_wrong_secret_with_a_real_prefix_is_refused(call, workflows, key):
    prefix = key.split(".")[0]
    assert code(call("users", key=f"{prefix}.wrongsecret")) == (401, "UNAUTHENTICATED")


def test_revoked_key_is_refused_at_once(call, workflows, user):
    api_key, key = api_key_create(user=user, name="k")
    assert call("users", key=key).status_code == 200
    api_key_revoke(api_key=api_key)
    response = call("users", key=key)
    assert code(response) == (401, "UNAUTHENTICATED") and "revoked" in response.json()["message"]


def test_expired_key_is_refused(call, workflows, user):
    api_key, key = api_key_create(user=user, name="k")
    ApiKey.objects.filter(pk=api_key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    assert "expired" in call("users", key=key).json()["message"]


def test_inactive_user_is_refused(call, workflows, user, key):
    user.is_active = False
    user.save()
    assert code(call("users", key=key)) == (401, "UNAUTHENTICATED")


def test_admin_workflow_needs_a_staff_key(call, workflows, key, staff_user, make_key):
    assert code(call("admins", key=key)) == (403, "FORBIDDEN")
    assert code(call("admins")) == (401, "UNAUTHENTICATED")
    assert call("admins", key=make_key(staff_user)).json()["response"] == {"user": "staff"}


def test_keys_are_stored_hashed(user):
    api_key, key = api_key_create(user=user, name="k")
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert key not in (stored.hashed_key, stored.pk) and stored.hashed_key.startswith("sha512$$")
    assert key.startswith(stored.prefix + ".")


def test_last_used_is_recorded(call, workflows, user):
    api_key, key = api_key_create(user=user, name="k")
    call("users", key=key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None
