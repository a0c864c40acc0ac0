"""Each exposed workflow's request body, per parameter type and flag, as /api/schema/ shows it."""

from __future__ import annotations

import pytest

from scheduler.models import ScheduledRun
from workflows.engine.param_types import pk_schema

from .conftest import component, request_schema

PATH = "/api/1.1/wf/typed"


@pytest.fixture
def typed(make_workflow):
    return make_workflow(
        "typed",
        expose=True,
        auth="user",
        description="Every parameter type.",
        parameters=[
            {"key": "name", "type": "text", "description": "Who it is for."},
            {"key": "amount", "type": "number"},
            {"key": "urgent", "type": "yes_no", "optional": True},
            {"key": "when", "type": "date", "optional": True},
            {"key": "order", "type": "thing", "data_type": "examples.Order"},
            {"key": "owner", "type": "thing", "data_type": "auth.User", "optional": True},
            {"key": "tags", "type": "text", "list": True, "optional": True},
            {"key": "orders", "type": "thing", "data_type": "examples.Order", "list": True},
            {"key": "copies", "type": "number", "default": 2},
            {"key": "doc", "type": "file", "optional": True},
            {"key": "password", "type": "text", "optional": True, "secret": True},
        ],
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )


@pytest.fixture
def body(typed, document):
    return request_schema(document(), PATH)


def test_types(body):
    props = body["properties"]
    assert props["name"]["type"] == "string"
    assert props["amount"]["type"] == "number"
    assert props["urgent"]["type"] == "boolean"
    assert (props["when"]["type"], props["when"]["format"]) == ("string", "date-time")
    assert "epoch milliseconds" in props["when"]["description"]
    assert "'Wed Jan 13 2016 10:30:00 GMT+0100'" in props["when"]["description"]


def test_thing_is_the_id_of_its_data_type(body):
    order, owner = body["properties"]["order"], body["properties"]["owner"]
    assert (order["type"], order["format"]) == ("integer", "int64")  # BigAutoField
    assert "examples.Order" in order["description"]
    # auth.User: AutoField, or an account's Bubble id (accounts brought over keep theirs)
    number, bubble = owner["oneOf"]
    assert number == {"type": "integer"} and bubble["type"] == "string"
    assert "auth.User" in owner["description"]


def test_thing_of_a_uuid_keyed_model_is_a_uuid():
    assert pk_schema(ScheduledRun) == {"type": "string", "format": "uuid"}


def test_lists_are_arrays_of_the_item_type(body):
    tags, orders = body["properties"]["tags"], body["properties"]["orders"]
    assert tags["type"] == "array" and tags["items"] == {"type": "string"}
    assert orders["type"] == "array"
    assert orders["items"] == {"type": "integer", "format": "int64"}


def test_required_optional_and_defaults(body):
    assert set(body["required"]) == {"name", "amount", "order", "orders"}
    assert body["properties"]["urgent"]["nullable"] is True
    assert "nullable" not in body["properties"]["name"]
    assert body["properties"]["copies"]["default"] == 2
    assert "copies" not in body["required"]


def test_descriptions(body, document):
    assert body["properties"]["name"]["description"] == "Who it is for."
    assert "masked" in body["properties"]["password"]["description"]
    operation = document()["paths"][PATH]["post"]
    assert operation["description"].startswith("Every parameter type.")
    assert operation["operationId"] == "typed"
    assert operation["summary"] == "Run typed"


def test_file_is_a_multipart_upload_or_a_url_or_base64_in_json(typed, document):
    doc = document()
    content = doc["paths"][PATH]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    upload = request_schema(doc, PATH, "multipart/form-data")["properties"]["doc"]
    assert (upload["type"], upload["format"]) == ("string", "binary")
    json_doc = request_schema(doc, PATH)["properties"]["doc"]
    url, contents = json_doc["oneOf"]
    assert url == {"type": "string", "format": "uri"}
    assert component(doc, contents)["required"] == ["filename", "contents"]


def test_without_files_the_body_is_json_only(make_workflow, document):
    make_workflow("plain", expose=True, parameters=[{"key": "x", "type": "text"}])
    content = document()["paths"]["/api/1.1/wf/plain"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json"}


def test_get_takes_the_parameters_in_the_query_string(typed, document):
    operation = document()["paths"][PATH]["get"]
    assert operation["operationId"] == "typed_get"
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["amount"]["in"] == "query" and params["amount"]["required"] is True
    assert params["tags"]["schema"]["type"] == "array" and params["tags"]["explode"] is True
    assert params["doc"]["schema"] == {"type": "string", "format": "uri"}  # a URL, not a file
    assert "requestBody" not in operation


def test_schedule_takes_at_and_the_same_params(typed, document):
    doc = document()
    operation = doc["paths"][f"{PATH}/schedule"]["post"]
    assert operation["operationId"] == "typed_schedule"
    schedule = request_schema(doc, f"{PATH}/schedule")
    assert schedule["properties"]["at"]["format"] == "date-time"
    assert schedule["required"] == ["params"]  # the workflow has required parameters
    params = schedule["properties"]["params"]["allOf"][0]
    assert params == {"$ref": "#/components/schemas/TypedRequest"}  # the run's own body
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert set(component(doc, created)["properties"]) == {"id", "due_at", "status"}


def test_a_workflow_without_parameters_has_no_body(make_workflow, document):
    make_workflow("bare", expose=True, actions=[{"type": "log", "message": "hi"}])
    operation = document()["paths"]["/api/1.1/wf/bare"]["post"]
    assert "requestBody" not in operation
