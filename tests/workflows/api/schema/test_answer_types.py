"""The OpenAPI document describes each answer a workflow's return_data may give: JSON, a
text of its media type, a redirect (docs/actions.md#return_data)."""

from __future__ import annotations


def text_workflow(make_workflow, **extra):
    return make_workflow(
        "export",
        expose=True,
        actions=[{"type": "return_data", "response_type": "text", "text": "x", **extra}],
    )


def test_the_openapi_document_describes_each_answer(make_workflow, document):
    text_workflow(make_workflow, content_type="text/csv")
    make_workflow(
        "go",
        expose=True,
        actions=[{"type": "return_data", "response_type": "redirect", "url": "/thanks"}],
    )
    make_workflow(
        "maybe",
        expose=True,
        actions=[
            {"type": "return_data", "only_when": "false", "response_type": "text", "text": "x"},
        ],
    )
    paths = document()["paths"]
    export = paths["/api/1.1/wf/export"]["post"]["responses"]
    assert set(export["200"]["content"]) == {"text/csv"}
    go = paths["/api/1.1/wf/go"]["post"]["responses"]
    assert "302" in go and "200" not in go
    maybe = paths["/api/1.1/wf/maybe"]["post"]["responses"]["200"]["content"]
    assert set(maybe) == {"application/json", "text/plain"}  # it may end without returning
