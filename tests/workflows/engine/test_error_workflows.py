"""``error_workflow``: which workflows may name one and which can be one, checked when a
workflow is saved (the one validator), and left alone when a stored workflow runs."""

from __future__ import annotations

import pytest

from workflows import engine
from workflows.definitions import workflow_definition
from workflows.engine.compiler import compile_definition
from workflows.exceptions import DefinitionError

pytestmark = pytest.mark.django_db

#: an error workflow taking everything it is given
ON_ERROR = {
    "parameters": [
        {"key": "run_id", "type": "text"},
        {"key": "workflow", "type": "text"},
        {"key": "error_code", "type": "text"},
        {"key": "error_message", "type": "text"},
        {"key": "step", "type": "number", "optional": True},
    ],
    "actions": [{"type": "log", "message": "{{ params.workflow }}: {{ params.error_code }}"}],
}


def issues(definition: dict) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition)
    return [(".".join(map(str, issue.path)), issue.message) for issue in caught.value.issues]


def test_an_api_workflow_taking_the_parameters_is_accepted_and_compiled(make_workflow):
    make_workflow("on-error", **ON_ERROR)
    compiled = compile_definition({"name": "sync", "error_workflow": "on-error"})
    assert compiled.error_workflow == "on-error"
    trigger = {"name": "t", "kind": "trigger", "data_type": "examples.Order", "on": ["create"]}
    assert compile_definition({**trigger, "error_workflow": "on-error"}).error_workflow


def test_an_error_workflow_may_take_some_of_the_parameters_or_none(make_workflow):
    make_workflow("only-code", parameters=[{"key": "error_code", "type": "text"}])
    make_workflow("nothing", actions=[{"type": "log", "message": "failed"}])
    make_workflow("extra", parameters=[{"key": "channel", "type": "text", "default": "#ops"}])
    for name in ("only-code", "nothing", "extra"):
        assert compile_definition({"name": "sync", "error_workflow": name}).error_workflow == name


def test_an_unknown_name_is_refused():
    assert issues({"name": "sync", "error_workflow": "on-eror"}) == [
        ("error_workflow", "no workflow named 'on-eror'")
    ]


def test_a_workflow_cannot_be_its_own_error_workflow(make_workflow):
    make_workflow("sync", **ON_ERROR)
    assert issues({"name": "sync", **ON_ERROR, "error_workflow": "sync"}) == [
        ("error_workflow", "a workflow cannot be its own error workflow")
    ]


def test_a_custom_event_has_no_error_workflow_of_its_own(make_workflow):
    make_workflow("on-error", **ON_ERROR)
    [(where, message)] = issues(
        {"name": "ev", "kind": "custom_event", "error_workflow": "on-error"}
    )
    assert where == "error_workflow" and "its failure fails its caller's step" in message


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            {"kind": "custom_event"},
            "'target' is a custom event: an error workflow must be an API workflow",
        ),
        (
            {"kind": "trigger", "data_type": "examples.Order", "on": ["create"]},
            "'target' is a database trigger: an error workflow must be an API workflow",
        ),
        (
            {"parameters": [{"key": "order", "type": "thing", "data_type": "examples.Order"}]},
            "'target' has a required parameter 'order', which an error workflow is not given",
        ),
        (
            {"parameters": [{"key": "step", "type": "text", "optional": True}]},
            "'target' takes step as text: it is a number",
        ),
        (
            {"parameters": [{"key": "run_id", "type": "text", "list": True}]},
            "'target' takes run_id as text list: it is a text",
        ),
        (
            {"parameters": [{"key": "step", "type": "number"}]},
            "'target' takes step as a required parameter: make it optional",
        ),
    ],
)
def test_a_workflow_that_cannot_take_the_failure_is_refused(make_workflow, target, expected):
    make_workflow("target", **target)
    [(where, message)] = issues({"name": "sync", "error_workflow": "target"})
    assert where == "error_workflow" and message.startswith(expected)


def test_not_a_name_is_refused():
    assert issues({"name": "sync", "error_workflow": ["a"]}) == [
        ("error_workflow", "must be the name of an API workflow")
    ]


def test_a_stored_workflow_still_runs_when_its_error_workflow_is_gone(make_workflow):
    make_workflow("on-error", **ON_ERROR)
    sync = make_workflow(
        "sync", error_workflow="on-error", actions=[{"type": "log", "message": "x"}]
    )
    make_workflow("on-error", kind="custom_event")  # can no longer be one
    assert engine.run(sync).ok
    with pytest.raises(DefinitionError, match="must be an API workflow"):
        compile_definition(workflow_definition(sync))  # the next save is refused
