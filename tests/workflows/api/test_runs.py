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
