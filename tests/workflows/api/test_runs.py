"""GET /api/1.1/runs/<id>: the caller's own runs, with their steps."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def run_id(call, make_workflow, key):
    make_workflow(
        "two-steps",
        expose=True,
        auth="user",
        actions=[
            {"id": "hello", "type": "log", "message": "hi"},
            {"type": "return_data", "data": {"ok": True}},
        ],
    )
    return call("two-steps", key=key)["X-Run-Id"]


def test_caller_reads_its_run_with_steps(api, run_id, key):
    response = api.get(f"/api/1.1/runs/{run_id}", HTTP_AUTHORIZATION=f"Bearer {key}")
    run = response.json()["response"]
    assert run["id"] == run_id and run["status"] == "succeeded" and run["workflow"] == "two-steps"
    assert run["result"] == {"ok": True} and run["error"] is None
    assert [(s["id"], s["type"], s["status"]) for s in run["steps"]] == [
        ("hello", "log", "succeeded"),
        (None, "return_data", "succeeded"),
    ]
    # what a step read and did on the caller's behalf stays with staff
    assert run["steps"][0]["output"] is None and run["steps"][0]["inputs"] is None


def test_staff_read_each_steps_inputs_and_output(api, make_workflow, call, make_key, staff_user):
    make_workflow(
        "greet",
        expose=True,
        actions=[{"id": "hello", "type": "log", "message": "hi"}],
    )
    key = make_key(staff_user)
    run_id = call("greet", key=key)["X-Run-Id"]
    run = api.get(f"/api/1.1/runs/{run_id}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    step = run["response"]["steps"][0]
    assert step["output"] == "hi" and step["inputs"]["message"] == "hi"


def test_another_users_run_is_not_found(api, run_id, other_user, make_key):
    response = api.get(
        f"/api/1.1/runs/{run_id}", HTTP_AUTHORIZATION=f"Bearer {make_key(other_user)}"
    )
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


def test_runs_need_a_key(api, run_id):
    assert api.get(f"/api/1.1/runs/{run_id}").status_code == 401


def test_unknown_run(api, key):
    response = api.get(f"/api/1.1/runs/{uuid.uuid4()}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 404


# --- runs whose process stopped (a killed web worker) end as WORKER_LOST -----------------


def test_a_run_abandoned_by_its_process_is_ended_after_its_timeout(make_workflow, db):
    import datetime

    from django.utils import timezone

    from workflows.choices import RunSource, RunStatus
    from workflows.models import Run
    from workflows.services import runs_abandoned_close

    wf = make_workflow("slow", timeout=60)
    now = timezone.now()

    def running(source, minutes_ago):
        return Run.objects.create(
            workflow=wf,
            workflow_name=wf.name,
            source=source,
            status=RunStatus.RUNNING,
            started_at=now - datetime.timedelta(minutes=minutes_ago),
        )

    lost = running(RunSource.API, 3)  # 60 s timeout + 60 s grace: over
    going = running(RunSource.API, 1.5)  # may still be going
    scheduled = running(RunSource.SCHEDULED, 30)  # the scheduler's reaper's
    assert runs_abandoned_close(now=now) == 1
    lost.refresh_from_db()
    assert (lost.status, lost.error_code) == (RunStatus.FAILED, "WORKER_LOST")
    assert "nothing it changed was kept" in lost.error_message and lost.finished_at == now
    assert Run.objects.get(pk=going.pk).status == RunStatus.RUNNING
    assert Run.objects.get(pk=scheduled.pk).status == RunStatus.RUNNING
    assert runs_abandoned_close(now=now) == 0
