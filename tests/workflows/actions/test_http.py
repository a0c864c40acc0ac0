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
    with pytest.raises(DefinitionError, match="not a valid URL: Invalid IPv4 address"):
        make_workflow(actions=[{"type": "http_request", "url": "http://0177.0.0.1/"}])
    with pytest.raises(DefinitionError, match="must be one of GET"):
        make_workflow(actions=[{"type": "http_request", "url": "https://x.io", "method": "TRACE"}])
    with pytest.raises(DefinitionError, match="either json or body"):
        make_workflow(
            actions=[{"type": "http_request", "url": "https://x.io", "json": {"a": 1}, "body": "x"}]
        )


def query_received(httpserver) -> str:
    (request, _response), *_ = httpserver.log
    return request.query_string.decode()


def test_the_query_written_in_the_url_is_sent(make_workflow, user, httpserver):
    httpserver.expect_request("/items").respond_with_data("ok")
    wf = make_workflow(
        parameters=[{"key": "id", "type": "number"}],
        actions=[
            {"type": "http_request", "url": httpserver.url_for("/items") + "?id={{ params.id }}"}
        ],
    )
    assert engine.run(wf, {"id": 7}, user).ok
    assert query_received(httpserver) == "id=7"


def test_query_items_are_added_to_the_urls_own_query(make_workflow, user, httpserver):
    """The URL's query is sent as written (repeated keys and escapes kept); `query` items
    follow it, and a name in both is sent twice (docs/actions.md#http_request)."""
    httpserver.expect_request("/items").respond_with_data("ok")
    url = httpserver.url_for("/items") + "?id=7&tag=a&tag=b&q=a%20b&t=1,2:3#top"
    query = {"extra": "x y&z", "id": "8", "empty": None}
    wf = make_workflow(actions=[{"type": "http_request", "url": url, "query": query}])
    assert engine.run(wf, {}, user).ok
    assert (
        query_received(httpserver) == "id=7&tag=a&tag=b&q=a%20b&t=1,2:3&extra=x+y%26z&id=8&empty="
    )


def test_query_and_header_values_print_as_they_do_in_text(make_workflow, user, httpserver):
    """A date is sent in ISO 8601 and none as empty, as `{{ }}` inside the url prints them."""
    httpserver.expect_request("/items").respond_with_data("ok")
    when = "{{ date('2026-05-01T10:00:00Z') }}"
    wf = make_workflow(
        actions=[
            {
                "type": "http_request",
                "url": httpserver.url_for("/items"),
                "query": {"since": when, "none": "{{ none }}", "n": "{{ 1 + 1 }}"},
                "headers": {"X-Since": when, "X-None": "{{ none }}"},
            }
        ]
    )
    assert engine.run(wf, {}, user).ok
    assert query_received(httpserver) == "since=2026-05-01T10%3A00%3A00%2B00%3A00&none=&n=2"
    (request, _response), *_ = httpserver.log
    assert request.headers["X-Since"] == "2026-05-01T10:00:00+00:00"
    assert request.headers["X-None"] == ""


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Name": "José"},
        {"X-Key": "s3cret\r\nX-Injected: yes"},
        {"X Bad": "v"},
    ],
)
def test_headers_that_http_cannot_carry_fail_with_a_clear_error(
    make_workflow, user, httpserver, headers
):
    httpserver.expect_request("/items").respond_with_data("ok")
    wf = make_workflow(
        actions=[{"type": "http_request", "url": httpserver.url_for("/items"), "headers": headers}]
    )
    result = engine.run(wf, {}, user)
    name = next(iter(headers))
    assert f"failed: headers: {name!r}" in result.error.message, result.error.message
    assert "s3cret" not in result.error.message and "internal error" not in result.error.message
    assert httpserver.log == []


@pytest.mark.parametrize(
    "url",
    ["http://0177.0.0.1/", "http://[::1/", "http://x.io:99999/", "http://x.io:0/", "http:///path"],
)
def test_a_url_that_does_not_parse_fails_with_a_clear_error(make_workflow, user, url):
    wf = make_workflow(actions=[{"type": "http_request", "url": f"{{{{ '{url}' }}}}"}])
    message = engine.run(wf, {}, user).error.message
    assert "failed: url: " in message and "is not a valid URL" in message, message


def test_an_answer_whose_json_is_too_deep_or_not_unicode_is_kept_as_text(
    make_workflow, user, httpserver
):
    httpserver.expect_request("/deep").respond_with_data(
        "[" * 5000 + "]" * 5000, content_type="application/json"
    )
    httpserver.expect_request("/odd").respond_with_data(
        '{"a": "x\\ud800"}', content_type="application/json"
    )
    wf = make_workflow(
        actions=[
            {"id": "deep", "type": "http_request", "url": httpserver.url_for("/deep")},
            {"id": "odd", "type": "http_request", "url": httpserver.url_for("/odd")},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    steps = list(result.run.steps.all())
    assert steps[0].output["json"] is None and steps[0].output["text"].startswith("[[[")
    assert steps[1].output["json"] is None and "ud800" in steps[1].output["text"]
