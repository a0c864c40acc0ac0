"""http_request against a real local HTTP server."""

from __future__ import annotations

import threading

import pytest
from werkzeug.wrappers import Response

from workflows import engine
from workflows.engine.serialize import MASK
from workflows.exceptions import DefinitionError


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    """pytest-httpserver listens on 127.0.0.1, which http_request refuses by default."""
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}


def test_response_is_available_to_later_steps(make_workflow, user, httpserver):
    httpserver.expect_request(
        "/items",
        method="POST",
        json={"n": 2},
        query_string="q=x",
        headers={"Authorization": "Bearer s3cret"},
    ).respond_with_json({"id": 7}, status=201, headers={"X-Thing": "yes"})
    wf = make_workflow(
        actions=[
            {
                "id": "call",
                "type": "http_request",
                "method": "POST",
                "url": httpserver.url_for("/items"),
                "headers": {"Authorization": "Bearer s3cret"},
                "query": {"q": "x"},
                "json": {"n": "{{ 1 + 1 }}"},
            },
            {
                "type": "return_data",
                "data": {
                    "status": "{{ steps.call.status }}",
                    "id": "{{ steps.call.json.id }}",
                    "header": "{{ steps.call.headers['x-thing'] }}",
                },
            },
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.response == {"status": 201, "id": 7, "header": "yes"}
    step = result.run.steps.first()
    assert step.inputs["headers"]["Authorization"] == MASK  # secrets never reach the run log
    assert "s3cret" not in str(step.inputs)


def test_error_status_does_not_fail_the_step(make_workflow, user, httpserver):
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    wf = make_workflow(
        actions=[
            {"id": "call", "type": "http_request", "url": httpserver.url_for("/missing")},
            {
                "type": "return_data",
                "data": {"status": "{{ steps.call.status }}", "text": "{{ steps.call.text }}"},
            },
        ]
    )
    assert engine.run(wf, {}, user).response == {"status": 404, "text": "nope"}


def test_timeout_fails_the_step(make_workflow, user, httpserver):
    answered = threading.Event()

    def slow(request):
        answered.wait()  # no answer until the step has given up
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    wf = make_workflow(
        actions=[{"type": "http_request", "url": httpserver.url_for("/slow"), "timeout": 0.3}]
    )
    try:
        result = engine.run(wf, {}, user)
    finally:
        answered.set()
    assert "timed out" in result.error.message


def test_connection_refused_fails_the_step(make_workflow, user):
    wf = make_workflow(actions=[{"type": "http_request", "url": "http://127.0.0.1:1/"}])
    assert "failed" in engine.run(wf, {}, user).error.message


def test_response_size_is_capped(make_workflow, user, httpserver, settings):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_MAX_RESPONSE_BYTES": 1000}
    httpserver.expect_request("/big").respond_with_data("x" * 5000)
    wf = make_workflow(actions=[{"type": "http_request", "url": httpserver.url_for("/big")}])
    assert "larger than 1,000 bytes" in engine.run(wf, {}, user).error.message


def test_configuration_is_checked_at_save_time(make_workflow):
    with pytest.raises(DefinitionError, match="http:// or https://"):
        make_workflow(actions=[{"type": "http_request", "url": "file:///etc/passwd"}])
    with pytest.raises(DefinitionError, match="must be one of GET"):
        make_workflow(actions=[{"type": "http_request", "url": "https://x.io", "method": "TRACE"}])
    with pytest.raises(DefinitionError, match="either json or body"):
        make_workflow(
            actions=[{"type": "http_request", "url": "https://x.io", "json": {"a": 1}, "body": "x"}]
        )
