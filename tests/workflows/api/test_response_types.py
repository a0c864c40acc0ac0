"""What an API workflow answers, as "Return data from API" offers it (docs/actions.md#return_data):
Bubble's JSON (the default), a text with its media type, or a redirect."""

from __future__ import annotations

import pytest

from workflows.exceptions import DefinitionError


def text_workflow(make_workflow, **extra):
    return make_workflow(
        "export",
        expose=True,
        auth="none",
        parameters=[{"key": "name"}],
        actions=[
            {
                "type": "return_data",
                "response_type": "text",
                "text": "name\n{{ params.name }}\n",
                **extra,
            }
        ],
    )


def test_a_text_answer_has_its_media_type_and_cannot_run_scripts_here(call, make_workflow):
    text_workflow(make_workflow, content_type="text/csv; charset=utf-8")
    response = call("export", {"name": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode() == "name\n<script>alert(1)</script>"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Run-Id"]


def test_text_is_plain_text_by_default(call, make_workflow):
    text_workflow(make_workflow)
    response = call("export", {"name": "Ann"})
    assert response["Content-Type"] == "text/plain"


def test_a_redirect_goes_to_the_url_the_run_computed(call, make_workflow):
    make_workflow(
        "go",
        expose=True,
        auth="none",
        parameters=[{"key": "order", "type": "number"}],
        actions=[
            {
                "type": "return_data",
                "response_type": "redirect",
                "url": "https://shop.example.com/thanks?order={{ params.order }}",
            }
        ],
    )
    response = call("go", {"order": 7}, method="get")
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/thanks?order=7"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "//evil.example.com/",
        "data:text/html,x",
        "https://a.example/\r\nX: y",
        "",
    ],
)
def test_a_redirect_goes_only_to_http_urls_or_paths_here(call, make_workflow, url):
    make_workflow(
        "go",
        expose=True,
        auth="none",
        parameters=[{"key": "to", "optional": True}],
        actions=[{"type": "return_data", "response_type": "redirect", "url": "{{ params.to }}"}],
    )
    response = call("go", {"to": url})
    assert response.status_code == 500
    assert response.json()["code"] == "WORKFLOW_ERROR" and "url" in response.json()["message"]
    assert call("go", {"to": "/thanks"})["Location"] == "/thanks"


@pytest.mark.parametrize(
    ("step", "field", "message"),
    [
        ({"response_type": "text"}, "text", "required for response type text"),
        ({"response_type": "redirect", "data": {"a": 1}}, "data", "has no 'data'"),
        (
            {"response_type": "text", "text": "x", "content_type": "text"},
            "content_type",
            "not a media type",
        ),
        (
            {"response_type": "text", "text": "x", "content_type": "text/plain\r\nX: y"},
            "content_type",
            "not a media type",
        ),
        ({"data": {"a": 1}, "url": "/x"}, "url", "has no 'url'"),
    ],
)
def test_what_a_response_type_needs_is_checked_when_saved(make_workflow, step, field, message):
    with pytest.raises(DefinitionError) as refused:
        make_workflow("bad", actions=[{"type": "return_data", **step}])
    (issue,) = refused.value.issues
    assert issue.path[-1] == field and message in issue.message


def test_only_an_api_workflow_answers_text(make_workflow):
    with pytest.raises(DefinitionError, match="only an API workflow can answer with text"):
        make_workflow(
            "event",
            kind="custom_event",
            actions=[{"type": "return_data", "response_type": "text", "text": "x"}],
        )
