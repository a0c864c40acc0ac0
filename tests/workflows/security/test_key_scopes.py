"""API keys: the scope / expiry / revocation matrix, on every door a key opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from scheduler.models import ScheduledRun
from workflows.api.access import DataApiAllowed, require_data_api
from workflows.exceptions import Forbidden
from workflows.models import ApiKey, Run
from workflows.services import api_key_create, api_key_revoke

HELLO = [{"type": "return_data", "data": {"ok": True}}]
SCHEDULE = {"at": "2099-01-01T00:00:00Z", "params": {}}


@pytest.fixture(autouse=True)
def _no_throttle_history():
    cache.clear()  # throttle counters from other tests must not leak into these
    yield
    cache.clear()


@pytest.fixture
def workflows(make_workflow, db):
    for name in ("allowed", "other", "open"):
        make_workflow(name, expose=True, auth="none" if name == "open" else "user", actions=HELLO)


@pytest.fixture
def scoped(user, workflows) -> tuple[ApiKey, str]:
    return api_key_create(user=user, name="scoped", workflows=["allowed"])


def status(response) -> tuple[int, str | None]:
    body = response.json()
    return response.status_code, body.get("code") if body.get("status") == "error" else None


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


# --- workflows: run and schedule -------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "get"])
def test_a_scoped_key_runs_its_workflows_only(call, scoped, method):
    _, key = scoped
    assert status(call("allowed", key=key, method=method)) == (200, None)
    response = call("other", key=key, method=method)
    assert status(response) == (403, "FORBIDDEN")
    assert "'other'" in response.json()["message"]
    assert list(Run.objects.values_list("workflow_name", flat=True)) == ["allowed"]


def test_the_scope_binds_even_workflows_that_need_no_key(call, scoped):
    _, key = scoped
    assert status(call("open", key=key)) == (403, "FORBIDDEN")
    assert status(call("open")) == (200, None)  # without the key, as anybody


def test_a_scoped_key_cannot_tell_which_other_workflows_exist(call, scoped):
    _, key = scoped
    assert status(call("no-such-workflow", key=key)) == (403, "FORBIDDEN")


def test_an_unscoped_key_runs_every_workflow(call, user, workflows):
    _, key = api_key_create(user=user, name="any")
    for name in ("allowed", "other", "open"):
        assert status(call(name, key=key)) == (200, None)


def test_a_scoped_key_schedules_its_workflows_only(api, scoped):
    _, key = scoped
    ok = api.post("/api/1.1/wf/allowed/schedule", SCHEDULE, format="json", **bearer(key))
    assert ok.status_code == 201
    refused = api.post("/api/1.1/wf/other/schedule", SCHEDULE, format="json", **bearer(key))
    assert status(refused) == (403, "FORBIDDEN")
    assert list(ScheduledRun.objects.values_list("workflow__name", flat=True)) == ["allowed"]


def test_a_scoped_key_reads_runs_and_scheduled_runs_of_its_workflows_only(api, call, user, scoped):
    _, unscoped = api_key_create(user=user, name="all")
    mine = call("allowed", key=unscoped)["X-Run-Id"]
    theirs = call("other", key=unscoped)["X-Run-Id"]
    for name in ("allowed", "other"):
        api.post(f"/api/1.1/wf/{name}/schedule", SCHEDULE, format="json", **bearer(unscoped))
    other_row = ScheduledRun.objects.get(workflow__name="other")

    _, key = scoped
    assert api.get(f"/api/1.1/runs/{mine}", **bearer(key)).status_code == 200
    assert status(api.get(f"/api/1.1/runs/{theirs}", **bearer(key))) == (404, "NOT_FOUND")
    listed = api.get("/api/1.1/scheduled", **bearer(key)).json()["response"]["results"]
    assert [r["workflow"] for r in listed] == ["allowed"]
    assert api.get(f"/api/1.1/scheduled/{other_row.pk}", **bearer(key)).status_code == 404
    cancel = api.post(f"/api/1.1/scheduled/{other_row.pk}/cancel", **bearer(key))
    assert cancel.status_code == 404
    other_row.refresh_from_db()
    assert other_row.status == "scheduled"
    # the same user's unscoped key still sees both
    listed = api.get("/api/1.1/scheduled", **bearer(unscoped)).json()["response"]["results"]
    assert len(listed) == 2


def test_scope_changes_apply_on_the_next_request(call, scoped):
    api_key, key = scoped
    assert call("other", key=key).status_code == 403
    ApiKey.objects.filter(pk=api_key.pk).update(allowed_workflows=["allowed", "other"])
    assert call("other", key=key).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(allowed_workflows=[])
    assert call("open", key=key).status_code == 200


# --- the Data API flag, through the check the Data API views call ------------------------------


class DataApiProbe(APIView):
    """Stands in for a Data API view: it uses the permission the Data API views use."""

    permission_classes = [DataApiAllowed]

    def get(self, request):
        return Response({"status": "success"})


def _request(key: str | None):
    headers = bearer(key) if key else {}
    return DataApiProbe.as_view()(APIRequestFactory().get("/api/1.1/obj/probe", **headers))


def test_a_key_without_data_api_access_is_refused_by_the_data_api_check(user):
    _, allowed = api_key_create(user=user, name="data")
    _, refused = api_key_create(user=user, name="no-data", allow_data_api=False)
    assert _request(allowed).status_code == 200
    response = _request(refused)
    assert response.status_code == 403
    assert response.data["code"] == "FORBIDDEN" and "Data API" in response.data["message"]
    assert _request(None).status_code == 200  # anonymous: privacy rules decide


def test_require_data_api_reads_the_key_of_the_request(user):
    api_key, _ = api_key_create(user=user, name="no-data", allow_data_api=False)

    class Request:
        auth = api_key

    with pytest.raises(Forbidden):
        require_data_api(Request())
    Request.auth = api_key_create(user=user, name="data")[0]
    require_data_api(Request())
    Request.auth = None
    require_data_api(Request())


def test_a_key_without_data_api_access_still_runs_workflows(call, user, workflows):
    _, key = api_key_create(user=user, name="wf-only", allow_data_api=False)
    assert call("allowed", key=key).status_code == 200


# --- expiry, revocation, last use: checked on every request, never cached --------------------


def test_an_expired_key_is_refused_everywhere(api, call, user, workflows):
    api_key, key = api_key_create(
        user=user, name="soon", expiry_date=timezone.now() + timedelta(hours=1)
    )
    assert call("allowed", key=key).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    for response in (
        call("allowed", key=key),
        call("open", key=key),
        api.post("/api/1.1/wf/allowed/schedule", SCHEDULE, format="json", **bearer(key)),
        api.get("/api/1.1/scheduled", **bearer(key)),
    ):
        assert status(response) == (401, "UNAUTHENTICATED")
        assert "expired" in response.json()["message"]


def test_a_revoked_key_is_refused_on_the_very_next_request(api, call, user, workflows):
    api_key, key = api_key_create(user=user, name="k")
    assert call("allowed", key=key).status_code == 200
    assert api.get("/api/1.1/scheduled", **bearer(key)).status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(pk=api_key.pk))
    for response in (
        call("allowed", key=key),
        api.post("/api/1.1/wf/allowed/schedule", SCHEDULE, format="json", **bearer(key)),
        api.get("/api/1.1/scheduled", **bearer(key)),
    ):
        assert status(response) == (401, "UNAUTHENTICATED")
        assert "revoked" in response.json()["message"]
    assert Run.objects.count() == 1


def test_last_used_at_is_written_on_use_at_most_once_a_minute(call, user, workflows, time_machine):
    api_key, key = api_key_create(user=user, name="k")
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is None
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    call("allowed", key=key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start
    time_machine.move_to(start + timedelta(seconds=59), tick=False)
    call("allowed", key=key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start  # within the minute
    time_machine.move_to(start + timedelta(minutes=2), tick=False)
    call("allowed", key=key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start + timedelta(minutes=2)
