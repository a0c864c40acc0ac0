"""Each exposed workflow's answers: the response from its return_data keys, the errors in
the one error shape, and the security its ``auth`` asks for."""

from __future__ import annotations

import pytest

from .conftest import component, result_schema

RETURNS = {
    "literal": True,
    "count": 3,
    "label": "Order #{{ params.order.id }}",
    "order_id": "{{ params.order.id }}",
    "order": "{{ params.order }}",
    "note": "{{ params.note }}",
    "big": "{{ params.amount > 10 }}",
    "missing": "{{ steps.changed is none }}",
    "status": "{{ steps.changed.status }}",
    "later_id": "{{ steps.later.id }}",
    "later_due": "{{ steps.later.due_at }}",
    "when": "{{ now }}",
    "anything": "{{ params.amount * 2 if params.amount else 'none' }}",
}


@pytest.fixture
def returning(make_workflow):
    make_workflow("helper", expose=False, parameters=[{"key": "order", **THING}])
    return make_workflow(
        "returning",
        expose=True,
        parameters=[
            {"key": "order", **THING},
            {"key": "note", "type": "text", "optional": True},
            {"key": "amount", "type": "number"},
        ],
        actions=[
            {
                "id": "changed",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"note": "seen"},
            },
            {
                "id": "later",
                "type": "schedule_workflow",
                "workflow": "helper",
                "at": "{{ now }}",
                "params": {"order": "{{ params.order }}"},
            },
            {"type": "return_data", "data": RETURNS},
        ],
    )


THING = {"type": "thing", "data_type": "examples.Order"}


@pytest.fixture
def returned(returning, document):
    doc = document()
    return doc, result_schema(doc, "/api/1.1/wf/returning")


def test_the_response_envelope(returned):
    doc, _ = returned
    ok = doc["paths"]["/api/1.1/wf/returning"]["post"]["responses"]["200"]
    envelope = component(doc, ok["content"]["application/json"]["schema"])
    assert envelope["required"] == ["status", "response"]
    assert envelope["properties"]["status"] == {"type": "string", "enum": ["success"]}


def test_every_return_data_key_is_a_property_none_required(returned):
    _, result = returned
    assert set(result["properties"]) == set(RETURNS)
    assert "required" not in result
    assert result["additionalProperties"] is False


def test_key_types_where_they_are_certain(returned):
    doc, result = returned
    props = result["properties"]
    assert props["literal"] == {"type": "boolean"}
    assert props["count"] == {"type": "integer"}
    assert props["label"] == {"type": "string"}  # text with {{ }} parts
    assert props["order_id"] == {"type": "integer", "format": "int64"}
    assert props["order"] == {"$ref": "#/components/schemas/ExamplesOrder"}
    assert component(doc, "ExamplesOrder")["required"] == ["_id", "_type"]
    assert props["note"] == {"type": "string", "nullable": True}  # optional parameter
    assert props["big"] == props["missing"] == {"type": "boolean"}
    assert props["status"]["enum"] == ["new", "paid", "shipped", "cancelled"]
    assert props["later_id"] == {"type": "string", "format": "uuid"}
    assert props["later_due"] == props["when"] == {"type": "string", "format": "date-time"}
    assert props["anything"] == {}  # a number or text: left open


def test_a_workflow_returning_nothing_says_so(make_workflow, document):
    make_workflow("quiet", expose=True, actions=[{"type": "log", "message": "hi"}])
    result = result_schema(document(), "/api/1.1/wf/quiet")
    assert result["properties"] == {}
    assert "always {}" in result["description"]


def test_errors_are_in_the_error_shape(returning, document):
    doc = document()
    responses = doc["paths"]["/api/1.1/wf/returning"]["post"]["responses"]
    assert {"400", "401", "403", "404", "413", "429", "500"} <= set(responses)
    for status in ("400", "401", "403", "404", "413", "429", "500"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    error = component(doc, "Error")
    assert set(error["required"]) == {"status", "code", "message", "statusCode", "body"}
    assert {"parameter", "run"} <= set(error["properties"])
    bubble = component(doc, "BubbleErrorBody")
    assert set(bubble["required"]) == {"status", "message"}
    assert "MISSING_PARAMETER" in error["properties"]["code"]["description"]


@pytest.mark.parametrize(
    ("auth", "security", "forbidden"),
    [
        ("none", None, False),
        ("user", [{"bearerAuth": []}], True),
        ("admin", [{"bearerAuth": []}], True),
    ],
)
def test_security_follows_auth(make_workflow, document, auth, security, forbidden):
    make_workflow("guarded", expose=True, auth=auth)
    doc = document()
    for operation in (
        doc["paths"]["/api/1.1/wf/guarded"]["post"],
        doc["paths"]["/api/1.1/wf/guarded/schedule"]["post"],
    ):
        assert operation.get("security") == security
        assert ("403" in operation["responses"]) is forbidden
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_condition_not_met_200_is_said(make_workflow, document):
    make_workflow("lenient", expose=True, only_when="false", condition_not_met=200)
    description = document()["paths"]["/api/1.1/wf/lenient"]["post"]["description"]
    assert "answers 200 with an empty response" in description


def test_only_exposed_api_workflows_are_listed(make_workflow, document):
    make_workflow("hidden", expose=False)
    make_workflow("event", kind="custom_event")
    make_workflow("shown", expose=True)
    paths = document()["paths"]
    assert "/api/1.1/wf/shown" in paths
    assert not any(p.startswith(("/api/1.1/wf/hidden", "/api/1.1/wf/event")) for p in paths)
    assert "/api/1.1/wf/{name}" not in paths and "/api/1.1/wf/{name}/" not in paths


def test_names_that_would_collide_get_distinct_ids(make_workflow, document):
    make_workflow("send-mail", expose=True, parameters=[{"key": "a", "type": "text"}])
    make_workflow("send_mail", expose=True, parameters=[{"key": "b", "type": "number"}])
    doc = document()
    ids = {
        doc["paths"][f"/api/1.1/wf/{name}"]["post"]["operationId"]
        for name in ("send-mail", "send_mail")
    }
    assert ids == {"send_mail", "send_mail_2"}
    assert {"SendMailRequest", "SendMail2Request"} <= set(doc["components"]["schemas"])
