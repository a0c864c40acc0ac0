"""POST/GET /api/1.1/wf/<name>: inputs, Bubble's response shape and the error shape."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from examples.models import Customer
from workflows.api.errors import bubble_code
from workflows.models import Run, Workflow

ORDER = {"key": "order", "type": "thing", "data_type": "examples.Order"}


@pytest.fixture
def echo(make_workflow):
    return make_workflow(
        "echo",
        expose=True,
        auth="none",
        parameters=[
            {"key": "name", "type": "text"},
            {"key": "n", "type": "number", "optional": True},
            {"key": "flag", "type": "yes_no", "optional": True},
            {"key": "tags", "type": "text", "list": True, "optional": True},
            {"key": "when", "type": "date", "optional": True},
        ],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "name": "{{ params.name }}",
                    "n": "{{ params.n }}",
                    "flag": "{{ params.flag }}",
                    "tags": "{{ params.tags }}",
                    "when": "{{ params.when }}",
                },
            }
        ],
    )


def test_json_body(call, echo):
    response = call(
        "echo", {"name": "Ann", "n": 2, "flag": True, "tags": ["a", "b"], "when": 1777629600000}
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "response": {
            "name": "Ann",
            "n": 2,
            "flag": True,
            "tags": ["a", "b"],
            "when": "2026-05-01T10:00:00+00:00",
        },
    }
    assert Run.objects.filter(pk=response["X-Run-Id"]).exists()


def test_form_body(call, echo):
    response = call(
        "echo", {"name": "Ann", "n": "2.5", "flag": "yes", "tags": ["a", "b"]}, fmt="multipart"
    )
    assert response.json()["response"] == {
        "name": "Ann",
        "n": 2.5,
        "flag": True,
        "tags": ["a", "b"],
        "when": None,
    }


def test_url_encoded_form(api, echo):
    response = api.post(
        "/api/1.1/wf/echo",
        "name=Ann&tags=x&tags=y",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json()["response"]["tags"] == ["x", "y"]


def test_query_string_with_get(call, echo):
    response = call("echo", {"name": "Ann", "flag": "false", "when": "2026-05-01"}, method="get")
    assert response.json()["response"]["flag"] is False
    assert response.json()["response"]["when"] == "2026-05-01T00:00:00+00:00"


def test_dates_in_bubbles_text_forms(call, echo):
    """What a Bubble caller sends (a browser's Date.toString(), 01/13/2016 ...) in a JSON
    body, a form and the query string; anything else is a 400 listing the forms."""
    sent = {"name": "Ann", "when": "Wed Jan 13 2016 10:30:00 GMT+0100 (Central European Time)"}
    assert call("echo", sent).json()["response"]["when"] == "2016-01-13T09:30:00+00:00"
    sent = {"name": "Ann", "when": "Jan 13, 2016 10:30 pm"}
    assert call("echo", sent, fmt="multipart").json()["response"]["when"] == (
        "2016-01-13T22:30:00+00:00"
    )
    sent = {"name": "Ann", "when": "01/13/2016"}
    assert call("echo", sent, method="get").json()["response"]["when"] == (
        "2016-01-13T00:00:00+00:00"
    )
    response = call("echo", {"name": "Ann", "when": "13/01/2016"})
    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["parameter"]) == ("INVALID_PARAMETER", "when")
    assert error["message"] == (
        "parameter 'when': expected a date: ISO 8601, epoch milliseconds, or text such as "
        "'Jan 13, 2016', '01/13/2016 10:30 am' or 'Wed Jan 13 2016 10:30:00 GMT+0100', got "
        "'13/01/2016': month must be in 1..12 (month/day/year, as Bubble)"
    )


def test_body_wins_over_query_string(api, echo):
    response = api.post("/api/1.1/wf/echo?name=query", {"name": "body"}, format="json")
    assert response.json()["response"]["name"] == "body"


def test_thing_parameter_arrives_as_the_object(call, make_workflow, order):
    make_workflow(
        "total",
        expose=True,
        auth="none",
        parameters=[ORDER],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "total": "{{ params.order.total }}",
                    "customer": "{{ params.order.customer.name }}",
                },
            }
        ],
    )
    assert call("total", {"order": order.pk}).json()["response"] == {
        "total": 12.5,
        "customer": "Ann",
    }


def test_file_upload(call, make_workflow, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_workflow(
        "upload",
        expose=True,
        auth="none",
        parameters=[{"key": "doc", "type": "file"}],
        actions=[
            {
                "type": "return_data",
                "data": {"name": "{{ params.doc.name }}", "size": "{{ params.doc.size }}"},
            }
        ],
    )
    response = call("upload", {"doc": SimpleUploadedFile("a.txt", b"12345")}, fmt="multipart")
    assert response.json()["response"] == {"name": "a.txt", "size": 5}


def error(response, status, code, parameter=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error" and body["code"] == code and body["message"]
    # Bubble's keys, in the same object
    assert body["statusCode"] == status
    assert body["body"] == {"status": bubble_code(code), "message": body["message"]}
    if parameter:
        assert body["parameter"] == parameter
    return body


def test_missing_parameter(call, echo):
    error(call("echo", {}), 400, "MISSING_PARAMETER", "name")


def test_invalid_parameter(call, echo):
    error(call("echo", {"name": "a", "n": "many"}), 400, "INVALID_PARAMETER", "n")
    error(call("echo", {"name": "a", "tags": [1, {"x": 1}]}), 400, "INVALID_PARAMETER", "tags")


def test_missing_thing(call, make_workflow, db):
    make_workflow("total", expose=True, auth="none", parameters=[ORDER], actions=[])
    error(call("total", {"order": 12345}), 400, "NOT_FOUND", "order")
    error(call("total", {"order": "x"}), 400, "INVALID_PARAMETER", "order")


def test_unknown_and_unexposed_workflows_are_not_found(call, make_workflow, db):
    make_workflow("hidden", expose=False, auth="none", actions=[])
    make_workflow("event", kind="custom_event", actions=[])
    error(call("nope"), 404, "NOT_FOUND")
    error(call("hidden"), 404, "NOT_FOUND")
    error(call("event"), 404, "NOT_FOUND")


def test_condition_not_met(call, make_workflow, db):
    make_workflow(
        "cond",
        expose=True,
        auth="none",
        parameters=[{"key": "n", "type": "number"}],
        only_when="params.n > 0",
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    body = error(call("cond", {"n": 0}), 400, "CONDITION_NOT_MET")
    assert Run.objects.get(pk=body["run"]).status == "condition_not_met"
    assert call("cond", {"n": 1}).json() == {"status": "success", "response": {"ok": True}}


def test_condition_not_met_can_answer_200(call, make_workflow, db):
    make_workflow(
        "cond200",
        expose=True,
        auth="none",
        only_when="false",
        condition_not_met=200,
        actions=[{"type": "terminate"}],
    )
    response = call("cond200")
    assert response.status_code == 200 and response.json() == {"status": "success", "response": {}}


def test_failing_workflow_names_the_run(call, make_workflow, db):
    make_workflow(
        "fails",
        expose=True,
        auth="none",
        actions=[{"type": "return_data", "data": {"x": "{{ 1 / 0 }}"}}],
    )
    body = error(call("fails"), 500, "WORKFLOW_ERROR")
    assert "division by zero" in body["message"]
    assert Run.objects.get(pk=body["run"]).status == "failed"


def test_no_return_data_gives_an_empty_response(call, make_workflow, db):
    make_workflow("quiet", expose=True, auth="none", actions=[{"type": "log", "message": "x"}])
    assert call("quiet").json() == {"status": "success", "response": {}}


def test_oversized_body_is_413(api, echo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(
        "/api/1.1/wf/echo", json.dumps({"name": "x" * 5000}), content_type="application/json"
    )
    error(response, 413, "PAYLOAD_TOO_LARGE")
    assert not Run.objects.exists()


def _streamed(api, body: bytes, *, path: str = "/api/1.1/wf/echo"):
    """POST ``body`` as a chunked (streamed) request: no Content-Length header at all, as
    gunicorn and ASGI servers hand a ``Transfer-Encoding: chunked`` request to Django."""
    return api.generic(
        "POST",
        path,
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )


def test_oversized_body_without_content_length_is_413(api, make_workflow, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # no required parameter: a body read as empty would run the workflow and answer 200
    make_workflow(
        "open",
        expose=True,
        auth="none",
        parameters=[{"key": "name", "type": "text", "optional": True}],
        actions=[{"type": "return_data", "data": {"name": "{{ params.name }}"}}],
    )
    body = json.dumps({"name": "x" * 5000}).encode()
    response = _streamed(api, body, path="/api/1.1/wf/open")
    error(response, 413, "PAYLOAD_TOO_LARGE")
    assert "X-Run-Id" not in response
    assert not Run.objects.exists()


def test_streamed_body_within_the_limit_is_read(api, echo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = _streamed(api, json.dumps({"name": "Ann", "n": 3}).encode())
    assert response.status_code == 200, response.content
    assert response.json()["response"]["name"] == "Ann"
    assert response.json()["response"]["n"] == 3


def test_workflow_condition_that_cannot_be_evaluated_is_expression_error(call, make_workflow):
    make_workflow(
        "ratio",
        expose=True,
        auth="none",
        parameters=[{"key": "n", "type": "number"}, {"key": "d", "type": "number"}],
        only_when="params.n / params.d > 1",
        actions=[
            {"type": "create_thing", "data_type": "examples.Customer", "fields": {"name": "x"}}
        ],
    )
    response = call("ratio", {"n": 1, "d": 0})
    body = error(response, 500, "EXPRESSION_ERROR")
    assert "division by zero" in body["message"]
    # no stack trace, no parameter
    assert set(body) == {"status", "code", "message", "run", "statusCode", "body"}
    assert response["X-Run-Id"] == body["run"]
    run = Run.objects.get(pk=body["run"])
    assert (run.status, run.error_code) == ("failed", "EXPRESSION_ERROR")
    assert not Customer.objects.exists()  # no action ran
    # the same failure inside a step is the step's failure: WORKFLOW_ERROR
    make_workflow(
        "ratio-step",
        expose=True,
        auth="none",
        parameters=[{"key": "n", "type": "number"}, {"key": "d", "type": "number"}],
        actions=[{"type": "log", "message": "x", "only_when": "params.n / params.d > 1"}],
    )
    error(call("ratio-step", {"n": 1, "d": 0}), 500, "WORKFLOW_ERROR")


def test_stored_workflow_that_no_longer_compiles_is_invalid_definition(call, make_workflow):
    make_workflow("notify", kind="custom_event", actions=[{"type": "log", "message": "hi"}])
    make_workflow(
        "caller",
        expose=True,
        auth="none",
        actions=[{"type": "trigger_custom_event", "workflow": "notify"}],
    )
    Workflow.objects.filter(name="notify").delete()
    response = call("caller")
    body = error(response, 400, "INVALID_DEFINITION")
    assert "'notify'" in body["message"] and "caller" in body["message"]
    assert "run" not in body and "X-Run-Id" not in response
    assert not Run.objects.exists()  # refused before a run starts


def test_unsupported_body_type_is_415(api, echo):
    response = api.post("/api/1.1/wf/echo", "name=Ann", content_type="text/plain")
    body = error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "text/plain" in body["message"]
    assert not Run.objects.exists()


def test_accept_header_without_json_is_406(api, echo):
    response = api.post("/api/1.1/wf/echo", {"name": "Ann"}, format="json", HTTP_ACCEPT="text/html")
    error(response, 406, "NOT_ACCEPTABLE")
    assert response["Content-Type"] == "application/json"
    assert not Run.objects.exists()  # refused before the workflow ran
    ok = api.post(
        "/api/1.1/wf/echo", {"name": "Ann"}, format="json", HTTP_ACCEPT="text/html, */*;q=0.1"
    )
    assert ok.status_code == 200


def test_malformed_json_is_400(api, echo):
    error(
        api.post("/api/1.1/wf/echo", "{not json", content_type="application/json"),
        400,
        "INVALID_REQUEST",
    )
    error(
        api.post("/api/1.1/wf/echo", "[1, 2]", content_type="application/json"),
        400,
        "INVALID_PARAMETER",
    )


def test_other_methods_are_405(api, echo):
    error(api.put("/api/1.1/wf/echo", {}), 405, "METHOD_NOT_ALLOWED")


def test_unknown_api_paths_answer_json(api, db):
    error(api.get("/api/1.1/runs/not-a-uuid"), 404, "NOT_FOUND")
    error(api.get("/api/1.1/nothing/here"), 404, "NOT_FOUND")


def test_too_many_fields_is_a_400_not_a_crash(make_workflow, api):
    make_workflow(
        "open-fields",
        expose=True,
        auth="none",
        parameters=[{"key": "a", "type": "text", "optional": True}],
    )
    query = "&".join(f"f{i}=1" for i in range(1100))
    response = api.get(f"/api/1.1/wf/open-fields?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
