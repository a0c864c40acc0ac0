"""Development and live through the API: an edit is not live until deployed; /version-test/
runs development; runs record their version; rollback; custom events and privacy rules
follow the version of their call."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from workflows.models import Run, Version, Workflow
from workflows.versions import serving
from workflows.versions.deploy import deploy


def greeting(word: str, **more) -> dict:
    return {
        "expose": True,
        "auth": "none",
        "actions": [{"type": "return_data", "data": {"word": word}}],
        **more,
    }


def said(api: APIClient, path: str) -> str:
    response = api.post(path, {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["response"]["word"]


LIVE, TEST = "/api/1.1/wf/greet", "/version-test/api/1.1/wf/greet"


def test_before_the_first_deploy_callers_run_development(make_workflow, api):
    make_workflow("greet", **greeting("draft"))
    assert said(api, LIVE) == "draft" and said(api, TEST) == "draft"
    assert sorted(Run.objects.values_list("version", "test")) == [(None, False), (None, True)]


def test_an_edit_is_not_live_until_deployed(make_workflow, api):
    make_workflow("greet", **greeting("hello"))
    deploy(message="first")
    make_workflow("greet", **greeting("bonjour"))  # saved in development only
    assert said(api, LIVE) == "hello"
    assert said(api, TEST) == "bonjour"
    deploy(message="french")
    assert said(api, LIVE) == "bonjour"
    live_runs = Run.objects.filter(test=False).order_by("started_at")
    assert [r.version for r in live_runs] == [1, 2]
    test_run = Run.objects.get(test=True)
    assert test_run.version is None and test_run.workflow.name == "greet"


def test_a_workflow_made_in_development_is_not_live_until_deployed(make_workflow, api):
    make_workflow("greet", **greeting("hello"))
    deploy(message="first")
    make_workflow("other", **greeting("new"))
    answer = api.post("/api/1.1/wf/other", {}, format="json")
    assert answer.status_code == 404
    # the builder learns why, and where it answers meanwhile
    assert answer.json()["message"] == (
        "no exposed API workflow named 'other' in the live version 1: it is saved in "
        "development, not deployed yet — call /version-test/api/1.1/wf/other to try it, or "
        "deploy it (Workflows → Versions → Deploy to live)"
    )
    assert said(api, "/version-test/api/1.1/wf/other") == "new"
    # a name development has no exposed workflow of says no more than before
    make_workflow("hidden", **greeting("x", expose=False))
    for name in ("hidden", "nothing"):
        missing = api.post(f"/api/1.1/wf/{name}", {}, format="json").json()
        assert missing["message"] == f"no exposed API workflow named {name!r}"


def test_a_workflow_deleted_in_development_stays_live_until_deployed(make_workflow, api):
    make_workflow("greet", **greeting("hello"))
    deploy(message="first")
    Workflow.objects.filter(name="greet").delete()
    assert said(api, LIVE) == "hello"
    run = Run.objects.get()
    assert run.workflow is None and run.workflow_name == "greet" and run.version == 1
    assert api.post(TEST, {}, format="json").status_code == 404
    deploy(message="without greet")
    assert api.post(LIVE, {}, format="json").status_code == 404


@pytest.mark.django_db(transaction=True)  # foreign keys checked as each call commits
def test_a_workflow_deleted_after_this_process_ran_it_live_still_answers(make_workflow, api):
    """The compiled live version linked its runs to development's row, now gone: the
    database refuses the link, the links are looked up again and the call answers."""
    make_workflow("greet", **greeting("hello"))
    make_workflow("inner", kind="custom_event", actions=[{"type": "log", "message": "in"}])
    make_workflow(
        "outer",
        expose=True,
        auth="none",
        actions=[
            {"type": "trigger_custom_event", "workflow": "inner"},
            {"type": "return_data", "data": {"word": "out"}},
        ],
    )
    deploy(message="first")
    assert said(api, LIVE) == "hello" and said(api, "/api/1.1/wf/outer") == "out"
    Workflow.objects.filter(name__in=["greet", "inner"]).delete()
    # its custom event deleted in development: still run from live, its run logged
    assert said(api, "/api/1.1/wf/outer") == "out"
    assert said(api, LIVE) == "hello"
    assert list(Run.objects.filter(workflow_name="greet").values_list("workflow", flat=True)) == [
        None,
        None,
    ]
    assert Run.objects.filter(workflow_name="inner", workflow__isnull=True).exists()


def test_hiding_a_workflow_in_development_keeps_it_exposed_live(make_workflow, api):
    make_workflow("greet", **greeting("hello"))
    deploy(message="first")
    make_workflow("greet", **{**greeting("hello"), "expose": False})
    assert said(api, LIVE) == "hello"
    assert api.post(TEST, {}, format="json").status_code == 404


def test_rollback_restores_the_behaviour_and_keeps_history(make_workflow, api):
    make_workflow("greet", **greeting("hello"))
    first = deploy(message="first")
    make_workflow("greet", **greeting("broken"))
    deploy(message="second")
    assert said(api, LIVE) == "broken"
    deploy(message="back", restore=first)
    assert said(api, LIVE) == "hello"
    assert said(api, TEST) == "broken"  # development is not changed by a rollback
    assert list(Version.objects.values_list("number", "restored_from")) == [
        (3, 1),
        (2, None),
        (1, None),
    ]


def event_deployed_then_edited(make_workflow) -> None:
    """``greet`` answers what custom event ``inner`` returns: "one" as deployed (version
    1), "two" in development."""
    make_workflow(
        "inner", kind="custom_event", actions=[{"type": "return_data", "data": {"w": "one"}}]
    )
    make_workflow(
        "greet",
        expose=True,
        auth="none",
        actions=[
            {"type": "trigger_custom_event", "workflow": "inner", "id": "inner"},
            {"type": "return_data", "data": {"word": "{{ steps.inner.w }}"}},
        ],
    )
    deploy(message="first")
    make_workflow(
        "inner", kind="custom_event", actions=[{"type": "return_data", "data": {"w": "two"}}]
    )


def test_a_custom_event_runs_the_version_of_its_caller(make_workflow, api):
    event_deployed_then_edited(make_workflow)
    assert said(api, LIVE) == "one"
    assert said(api, TEST) == "two"
    child = Run.objects.filter(workflow_name="inner", test=False).get()
    assert child.version == 1


def test_a_run_keeps_its_version_when_a_deploy_happens_mid_run(make_workflow, api, monkeypatch):
    """The custom event is looked up after a deploy made version 2 live: the run still
    finishes on version 1, never mixing the two."""
    event_deployed_then_edited(make_workflow)
    original = serving.find

    def deploy_then_find(name, kind=None):
        if not Version.objects.filter(number=2).exists():
            deploy(message="mid-run")
        return original(name, kind)

    monkeypatch.setattr(serving, "find", deploy_then_find)
    assert said(api, LIVE) == "one"
    assert serving.live_number() == 2
    monkeypatch.setattr(serving, "find", original)
    assert said(api, LIVE) == "two"


def test_version_test_takes_only_the_api(db):
    response = APIClient().get("/version-test/admin/")
    assert response.status_code == 404
    assert "only the API is under /version-test/" in response.json()["message"]


def test_the_openapi_document_of_each_version(make_workflow, admin_client):
    make_workflow("greet", **greeting("hello"))
    deploy(message="first")
    make_workflow("draft-only", **greeting("new"))
    live_paths = admin_client.get("/api/schema/?format=json").json()["paths"]
    test_paths = admin_client.get("/version-test/api/schema/?format=json").json()["paths"]
    assert "/api/1.1/wf/greet" in live_paths and "/api/1.1/wf/draft-only" not in live_paths
    assert "/api/1.1/wf/draft-only" in test_paths
    # development's document sends "Try it out" (and generated clients) to development
    test_doc = admin_client.get("/version-test/api/schema/?format=json").json()
    assert test_doc["servers"] == [
        {"url": "/version-test", "description": "development (docs/versions.md)"}
    ]
    assert "servers" not in admin_client.get("/api/schema/?format=json").json()
    assert admin_client.get("/version-test/api/docs/").data["schema_url"] == (
        "/version-test/api/schema/"
    )
    assert admin_client.get("/api/docs/").data["schema_url"] == "/api/schema/"
