"""The document follows the editor at once: cached while nothing changes, rebuilt when a
workflow or one of its parameters or actions changes (no restart, no regeneration step)."""

from __future__ import annotations

import pytest
from django.test import Client

from workflows.api.schema import hooks
from workflows.models import Parameter, Workflow

from ...admin.conftest import edited as edited_definition
from ...admin.conftest import editor_data, send_definition
from .conftest import request_schema, result_schema

PATH = "/api/1.1/wf/edited"


@pytest.fixture
def edited(make_workflow):
    return make_workflow(
        "edited",
        expose=True,
        parameters=[{"key": "name", "type": "text"}],
        actions=[{"type": "return_data", "data": {"hello": "{{ params.name }}"}}],
    )


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def generations(monkeypatch):
    """How many times the document was generated."""
    count = {"n": 0}
    original = hooks.build_catalog

    def counting():
        count["n"] += 1
        return original()

    monkeypatch.setattr(hooks, "build_catalog", counting)
    return count


def test_an_added_parameter_shows_at_once(edited, document, generations):
    assert set(request_schema(document(), PATH)["properties"]) == {"name"}
    Parameter.objects.create(workflow=edited, key="age", type="number", optional=True)
    body = request_schema(document(), PATH)
    assert set(body["properties"]) == {"name", "age"}
    assert body["properties"]["age"]["type"] == "number"
    assert body["required"] == ["name"]
    assert generations["n"] == 2


def test_a_changed_parameter_and_action_show_at_once(edited, document):
    document()
    parameter = edited.parameters.get(key="name")
    parameter.type = "yes_no"
    parameter.save()
    action = edited.actions.get()
    action.config = {"data": {"bye": True}}
    action.save()
    doc = document()
    assert request_schema(doc, PATH)["properties"]["name"]["type"] == "boolean"
    assert set(result_schema(doc, PATH)["properties"]) == {"bye"}


def test_hiding_renaming_and_deleting_workflows(edited, document):
    assert PATH in document()["paths"]
    Workflow.objects.filter(pk=edited.pk).update(expose=False)  # even behind save()'s back
    assert PATH not in document()["paths"]
    edited.expose = True
    edited.name = "renamed"
    edited.save()
    paths = document()["paths"]
    assert "/api/1.1/wf/renamed" in paths and PATH not in paths
    edited.delete()
    assert "/api/1.1/wf/renamed" not in document()["paths"]


def test_nothing_changed_serves_the_kept_document(edited, document, generations, api):
    first = document()
    assert document() == first
    assert api.get("/api/1.1/meta/swagger.json").json() == first
    assert generations["n"] == 1


def test_a_parameter_added_and_auth_changed_in_the_admin_show_at_once(
    edited, document, root_client
):
    assert document()["paths"][PATH]["post"]["security"] == [{"bearerAuth": []}]
    url = f"/admin/workflows/workflow/{edited.pk}/change/"
    definition = edited_definition(root_client, url)
    definition["auth"] = "none"
    definition["parameters"].append({"key": "when", "type": "date", "optional": True})
    response = send_definition(root_client, url, definition)
    assert response.status_code == 302, editor_data(response)["issues"]
    operation = document()["paths"][PATH]["post"]
    assert "security" not in operation
    body = request_schema(document(), PATH)
    assert body["properties"]["when"]["format"] == "date-time"
