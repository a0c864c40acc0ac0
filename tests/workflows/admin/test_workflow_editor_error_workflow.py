"""The editor offers a workflow's error workflow: saved with the rest of the definition,
refused on its field when it cannot be one, and listed among what the editor offers."""

from __future__ import annotations

import json

import pytest

from workflows.models import Workflow

from .conftest import edited, editor_data, send_definition

CHECK = "/admin/workflows/workflow/editor/check/"
ON_ERROR = {
    "parameters": [
        {"key": "workflow", "type": "text"},
        {"key": "step", "type": "number", "optional": True},
    ],
    "actions": [{"type": "log", "message": "{{ params.workflow }} failed"}],
}


@pytest.fixture
def sync(make_workflow):
    make_workflow("on-error", **ON_ERROR)
    make_workflow("notify", kind="custom_event")
    return make_workflow("sync", actions=[{"type": "log", "message": "x"}])


def test_it_is_saved_with_the_definition(root_client, sync, change_url):
    definition = edited(root_client, change_url(sync))
    assert "error_workflow" not in definition
    definition["error_workflow"] = "on-error"
    response = send_definition(root_client, change_url(sync), definition)
    assert response.status_code == 302
    assert Workflow.objects.get(pk=sync.pk).error_workflow == "on-error"
    assert edited(root_client, change_url(sync))["error_workflow"] == "on-error"


def test_one_that_cannot_be_an_error_workflow_is_refused_on_its_field(
    root_client, sync, change_url
):
    definition = edited(root_client, change_url(sync))
    definition["error_workflow"] = "notify"
    [issue] = editor_data(send_definition(root_client, change_url(sync), definition))["issues"]
    assert issue["field"] == "error_workflow" and "must be an API workflow" in issue["message"]
    assert Workflow.objects.get(pk=sync.pk).error_workflow == ""


def test_the_live_check_names_the_field(root_client, sync):
    definition = {"name": "sync", "error_workflow": "sync"}
    body = json.dumps({"definition": definition})
    answer = root_client.post(CHECK, body, content_type="application/json").json()
    assert [(i["field"], i["message"]) for i in answer["issues"]] == [
        ("error_workflow", "a workflow cannot be its own error workflow")
    ]


def test_the_editor_is_given_each_workflows_kind_to_offer_api_ones(root_client, sync, change_url):
    workflows = editor_data(root_client.get(change_url(sync)))["catalog"]["workflows"]
    assert {w["name"]: w["kind"] for w in workflows} == {
        "notify": "custom_event",
        "on-error": "api",
        "sync": "api",
    }
