"""trigger_custom_event, return_data, terminate and log: configuration checks and output."""

from __future__ import annotations

import logging

import pytest

from workflows import engine
from workflows.exceptions import DefinitionError


def test_custom_event_target_must_exist_and_be_a_custom_event(make_workflow):
    make_workflow("api-one", actions=[])
    with pytest.raises(DefinitionError, match="no workflow named 'ghost'"):
        make_workflow(actions=[{"type": "trigger_custom_event", "workflow": "ghost"}])
    with pytest.raises(DefinitionError, match="not a custom event"):
        make_workflow(actions=[{"type": "trigger_custom_event", "workflow": "api-one"}])


def test_custom_event_parameters_are_checked(make_workflow):
    make_workflow(
        "ce", kind="custom_event", parameters=[{"key": "x", "type": "number"}], actions=[]
    )
    with pytest.raises(DefinitionError, match="needs parameter"):
        make_workflow(actions=[{"type": "trigger_custom_event", "workflow": "ce"}])
    with pytest.raises(DefinitionError, match="has no parameter 'y'"):
        make_workflow(
            actions=[{"type": "trigger_custom_event", "workflow": "ce", "params": {"x": 1, "y": 2}}]
        )


def test_custom_event_parameter_error_fails_the_step(make_workflow, user):
    make_workflow(
        "ce",
        kind="custom_event",
        parameters=[{"key": "x", "type": "number"}],
        actions=[{"type": "return_data", "data": {"double": "{{ params.x * 2 }}"}}],
    )
    wf = make_workflow(
        actions=[{"type": "trigger_custom_event", "workflow": "ce", "params": {"x": "abc"}}]
    )
    result = engine.run(wf, {}, user)
    assert result.error.code == "INVALID_PARAMETER" and result.error.parameter == "x"


def test_custom_event_without_return_gives_nothing(make_workflow, user):
    make_workflow("quiet", kind="custom_event", actions=[{"type": "log", "message": "hi"}])
    wf = make_workflow(
        actions=[
            {"id": "q", "type": "trigger_custom_event", "workflow": "quiet"},
            {"type": "return_data", "data": {"q": "{{ steps.q }}"}},
        ]
    )
    assert engine.run(wf, {}, user).response == {"q": None}


def test_return_data_must_be_a_mapping(make_workflow, user):
    with pytest.raises(DefinitionError, match="mapping"):
        make_workflow(actions=[{"type": "return_data", "data": [1, 2]}])
    wf = make_workflow(actions=[{"type": "return_data", "data": "{{ [1, 2] }}"}])
    assert "must be a mapping" in engine.run(wf, {}, user).error.message


def test_log_writes_the_message(make_workflow, user, caplog):
    wf = make_workflow(
        actions=[
            {"id": "l", "type": "log", "message": "hello {{ 1 + 1 }}", "level": "warning"},
            {"type": "return_data", "data": {"m": "{{ steps.l }}"}},
        ]
    )
    with caplog.at_level(logging.WARNING, logger="workflows.run"):
        result = engine.run(wf, {}, user)
    assert result.response == {"m": "hello 2"}
    assert "hello 2" in caplog.text


def test_unknown_action_type_and_keys_are_refused(make_workflow):
    with pytest.raises(DefinitionError, match="unknown action type 'explode'"):
        make_workflow(actions=[{"type": "explode"}])
    with pytest.raises(DefinitionError, match="log has no key 'colour'"):
        make_workflow(actions=[{"type": "log", "message": "x", "colour": "red"}])
    with pytest.raises(DefinitionError, match="required: “Write to the log” needs a value here"):
        make_workflow(actions=[{"type": "log"}])
