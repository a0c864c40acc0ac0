"""Security: who may call what over REST, and what error answers reveal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from workflows import engine
from workflows.models import ApiKey, Run
from workflows.services import api_key_revoke

HELLO = [{"type": "return_data", "data": {"ok": True}}]


@pytest.fixture
def workflows(make_workflow, db):
    make_workflow("admins", expose=True, auth="admin", actions=HELLO)
    make_workflow("users", expose=True, auth="user", actions=HELLO)
    make_workflow("internal", expose=False, auth="none", actions=HELLO)
    make_workflow("event", kind="custom_event", auth="none", actions=HELLO)
    make_workflow(
        "on-order", kind="trigger", data_type="examples.Order", on=["create"], actions=HELLO
    )


def status(response):
    return response.status_code, response.json()["code"]


def test_a_non_staff_key_cannot_run_an_admin_workflow(call, workflows, key):
    assert status(call("admins", key=key)) == (403, "FORBIDDEN")
    assert status(call("admins", key=key, method="get")) == (403, "FORBIDDEN")
    assert not Run.objects.exists()


@pytest.mark.parametrize("name", ["internal", "event", "on-order"])
def test_only_exposed_api_workflows_are_callable(call, workflows, staff_user, make_key, name):
    staff_key = make_key(staff_user)
    assert status(call(name, key=staff_key)) == (404, "NOT_FOUND")
    assert status(call(name)) == (404, "NOT_FOUND")
    assert status(call(f"{name}/schedule", {"params": {}}, key=staff_key)) == (404, "NOT_FOUND")
    assert not Run.objects.exists()


def test_revoked_expired_and_inactive_keys_are_refused(call, workflows, user, make_key):
    revoked = make_key(user, "revoked")
    api_key_revoke(api_key=ApiKey.objects.get(name="revoked"))
    expired = make_key(user, "expired")
    ApiKey.objects.filter(name="expired").update(expiry_date=timezone.now() - timedelta(1))
    for bad in (revoked, expired, revoked.split(".")[0] + ".forged", "nodot", "a.b.c"):
        assert status(call("users", key=bad)) == (401, "UNAUTHENTICATED")
    active = make_key(user, "active")
    user.is_active = False
    user.save()
    assert status(call("users", key=active)) == (401, "UNAUTHENTICATED")


def test_a_key_of_a_staff_user_demoted_later_loses_admin_access(
    call, workflows, staff_user, make_key
):
    staff_key = make_key(staff_user)
    assert call("admins", key=staff_key).status_code == 200
    staff_user.is_staff = False
    staff_user.save()
    assert status(call("admins", key=staff_key)) == (403, "FORBIDDEN")


def test_runs_of_others_and_of_anonymous_callers_are_not_readable(
    api, call, make_workflow, user, other_user, make_key, superuser
):
    make_workflow("open", expose=True, auth="none", actions=HELLO)
    anonymous_run = call("open")["X-Run-Id"]
    alice_run = call("open", key=make_key(user))["X-Run-Id"]
    for reader in (other_user, superuser):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {make_key(reader)}"}
        for run_id in (anonymous_run, alice_run):
            assert status(api.get(f"/api/1.1/runs/{run_id}", **headers)) == (404, "NOT_FOUND")
    assert api.get(f"/api/1.1/runs/{anonymous_run}").status_code == 401


def test_crashes_answer_without_a_traceback(call, make_workflow, monkeypatch):
    make_workflow("boom", expose=True, auth="none", actions=HELLO)

    def crash(*args, **kwargs):
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(engine, "run", crash)
    response = call("boom")
    assert status(response) == (500, "SERVER_ERROR")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
