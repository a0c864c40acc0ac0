"""The compiler's catalog of other workflows (workflows/engine/compiler.py)."""

from __future__ import annotations

import pytest


def test_a_workflow_named_in_many_steps_is_read_once(make_workflow, django_assert_max_num_queries):
    """The catalog remembers what it read for one compile (the editor's live check of a
    long workflow read the same scheduled workflow twice per step)."""
    from workflows.engine.compiler import compile_definition

    make_workflow("later", parameters=[{"key": "n", "type": "number"}])
    step = {"type": "schedule_workflow", "workflow": "later", "at": "{{ now }}", "params": {"n": 1}}
    with django_assert_max_num_queries(2):
        compile_definition({"name": "many", "actions": [step] * 20})


# --- parameters' querystring (Bubble's "Querystring" option) -------------------------------

QS = {"key": "shop", "type": "text", "querystring": True}


def issues_of(definition) -> dict[str, str]:
    from workflows.engine.compiler import compile_definition
    from workflows.exceptions import DefinitionError

    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition)
    return {issue.where: issue.message for issue in caught.value.issues}


def test_an_api_workflows_parameter_may_be_read_from_the_query_string(db):
    from workflows.engine.compiler import compile_definition

    compiled = compile_definition({"name": "shop", "parameters": [QS, {"key": "note"}]})
    assert [(p.key, p.querystring) for p in compiled.parameters] == [
        ("shop", True),
        ("note", False),
    ]


@pytest.mark.parametrize(
    "kind, words", [("custom_event", "a custom event"), ("trigger", "a database trigger")]
)
def test_querystring_is_refused_where_no_request_calls(db, kind, words):
    definition = {"name": "w", "kind": kind, "parameters": [{"key": "a"}, QS]}
    if kind == "trigger":
        definition.update(data_type="examples.Order", on=["update"])
    issues = issues_of(definition)
    assert issues == {
        "parameters[1].querystring": (
            f"only an API workflow is called with a query string, not {words}"
        )
    }


def test_querystring_is_refused_on_a_signed_webhook(db, monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_HOOK_SECRET", "s3cret-s3cret-s3cret")  # its name is read
    definition = {
        "name": "hook",
        "webhook": {"secret": "HOOK_SECRET", "scheme": "stripe"},
        "parameters": [QS],
    }
    assert issues_of(definition) == {
        "parameters[0].querystring": (
            "a workflow with a webhook signature reads only its signed body, never the query string"
        )
    }


def test_querystring_must_be_true_or_false(db):
    issues = issues_of({"name": "shop", "parameters": [{**QS, "querystring": "yes"}]})
    assert issues == {"parameters[0].querystring": "must be true or false"}


def test_a_saved_querystring_parameter_is_compiled_from_its_row(make_workflow):
    from workflows.engine.cache import get_compiled

    workflow = make_workflow("shop", parameters=[QS])
    assert get_compiled(workflow).parameter("shop").querystring is True
