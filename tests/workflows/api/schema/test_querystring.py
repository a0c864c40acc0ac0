"""Parameters read from the URL (``querystring: true``, Bubble's "Querystring" option) in
the OpenAPI document: on ``POST`` they are query parameters and not in the body; ``GET``
takes every parameter in the query string as before; a schedule request's ``params`` still
carries them all."""

from __future__ import annotations

import pytest

from .conftest import component, request_schema

PATH = "/api/1.1/wf/shop"


@pytest.fixture
def shop(make_workflow):
    return make_workflow(
        "shop",
        expose=True,
        auth="user",
        parameters=[
            {"key": "shop", "type": "text", "querystring": True, "description": "Which shop."},
            {"key": "tags", "type": "text", "list": True, "optional": True, "querystring": True},
            {"key": "note", "type": "text", "optional": True},
            {"key": "doc", "type": "file", "optional": True},
        ],
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )


def test_post_takes_them_in_the_query_string(shop, document):
    operation = document()["paths"][PATH]["post"]
    params = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(params) == {"shop", "tags"}
    assert params["shop"]["in"] == "query" and params["shop"]["required"] is True
    assert params["shop"]["description"] == (
        "Which shop. In the query string even with POST: a value in the body is ignored."
    )
    assert params["tags"]["schema"]["type"] == "array" and params["tags"]["explode"] is True
    assert "required" not in params["tags"]


def test_the_post_body_holds_only_the_others(shop, document):
    doc = document()
    content = doc["paths"][PATH]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ShopBodyRequest"}
    for media in ("application/json", "multipart/form-data"):
        body = request_schema(doc, PATH, media)
        assert set(body["properties"]) == {"note", "doc"}, media
        assert "required" not in body
        assert "request's body" in body["description"]


def test_get_takes_every_parameter_in_the_query_string(shop, document):
    operation = document()["paths"][PATH]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"shop", "tags", "note", "doc"}
    assert params["shop"]["description"] == "Which shop."  # GET: every one is in the URL
    assert "requestBody" not in operation


def test_a_schedule_requests_params_carry_them_all(shop, document):
    doc = document()
    schedule = request_schema(doc, f"{PATH}/schedule")
    params = component(doc, schedule["properties"]["params"]["allOf"][0])
    assert set(params["properties"]) == {"shop", "tags", "note", "doc"}
    assert params["required"] == ["shop"]


def test_all_in_the_query_string_means_no_body(make_workflow, document):
    make_workflow(
        "lookup",
        expose=True,
        parameters=[{"key": "q", "type": "text", "querystring": True}],
        actions=[{"type": "return_data", "data": {"q": "{{ params.q }}"}}],
    )
    operation = document()["paths"]["/api/1.1/wf/lookup"]["post"]
    assert "requestBody" not in operation
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [
        ("q", "query"),
        ("Idempotency-Key", "header"),  # every POST's (docs/api.md#idempotent-calls)
    ]


def test_without_querystring_parameters_nothing_changes(make_workflow, document):
    make_workflow("plain", expose=True, parameters=[{"key": "x", "type": "text"}])
    doc = document()
    operation = doc["paths"]["/api/1.1/wf/plain"]["post"]
    assert [p["in"] for p in operation["parameters"]] == ["header"]  # Idempotency-Key only
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PlainRequest"}
    assert not any(name.startswith("PlainBody") for name in doc["components"]["schemas"])
