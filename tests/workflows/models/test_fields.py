"""OrderedJSONField: objects read back with their keys in the order they were written, on
every database (PostgreSQL's jsonb would sort them)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from workflows import engine
from workflows.engine import cache
from workflows.models import Action, Run, Workflow

WRITTEN = {"zeta": 1, "id": 2, "alpha": {"yy": 1, "b": 2}, "extra": None}


def test_an_actions_config_keeps_its_key_order(make_workflow):
    wf = make_workflow(actions=[{"type": "return_data", "data": WRITTEN}])
    config = Action.objects.get(workflow=wf).config
    assert list(config["data"]) == ["zeta", "id", "alpha", "extra"]
    assert list(config["data"]["alpha"]) == ["yy", "b"]


def test_a_runs_params_and_result_keep_their_key_order(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "z"}, {"key": "a"}],
        actions=[{"type": "return_data", "data": {"z": "{{ params.z }}", "a": "{{ params.a }}"}}],
    )
    run = engine.run(wf, {"z": "1", "a": "2"}, user).run
    stored = Run.objects.get(pk=run.pk)
    assert list(stored.result) == ["z", "a"]
    assert list(stored.params) == ["z", "a"]


def test_callers_of_a_renamed_workflow_are_found_by_their_config(make_workflow):
    """``refresh_callers`` reads ``config.workflow`` as text (``json`` has no ``=``)."""
    make_workflow("callee")
    caller = make_workflow(
        "caller", actions=[{"type": "schedule_workflow", "workflow": "callee", "at": "{{ now }}"}]
    )
    other = make_workflow("other")
    long_ago = timezone.now() - datetime.timedelta(days=365)
    Workflow.objects.update(updated_at=long_ago)
    cache.refresh_callers({"callee"})
    assert Workflow.objects.get(pk=caller.pk).updated_at > long_ago
    assert Workflow.objects.get(pk=other.pk).updated_at == long_ago
