"""Compiled once per saved definition, recompiled after any change, in every process."""

from __future__ import annotations

import pytest

from workflows import engine
from workflows.engine import cache, compiler
from workflows.exceptions import DefinitionError
from workflows.models import Action, Parameter, Workflow


def count_compiles(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = compiler.compile_definition

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "compile_definition", counting)
    return calls


def test_runs_reuse_the_compiled_workflow(make_workflow, user, monkeypatch):
    wf = make_workflow(actions=[{"type": "return_data", "data": {"n": "{{ 1 + 1 }}"}}])
    calls = count_compiles(monkeypatch)
    for _ in range(3):
        assert engine.run(wf, {}, user).response == {"n": 2}
    assert len(calls) == 1


def test_editing_an_action_or_parameter_recompiles(make_workflow, user, monkeypatch):
    wf = make_workflow(actions=[{"type": "return_data", "data": {"n": 1}}])
    calls = count_compiles(monkeypatch)
    engine.run(wf, {}, user)
    action = Action.objects.get(workflow=wf)
    action.config = {"data": {"n": 2}}
    action.save()
    wf.refresh_from_db()
    assert engine.run(wf, {}, user).response == {"n": 2}
    Parameter.objects.create(workflow=wf, key="x", type="number", optional=True)
    wf.refresh_from_db()
    engine.run(wf, {}, user)
    assert len(calls) == 3


def test_a_stale_instance_is_not_served_after_a_change(make_workflow, user):
    wf = make_workflow(actions=[{"type": "return_data", "data": {"n": 1}}])
    engine.run(wf, {}, user)
    wf.description = "changed"
    wf.save()
    action = Action.objects.get(workflow=wf)
    action.config = {"data": {"n": 3}}
    action.save()
    fresh = type(wf).objects.get(pk=wf.pk)  # what another process would load
    assert engine.run(fresh, {}, user).response == {"n": 3}


def _caller_of_notify(make_workflow):
    make_workflow("notify", kind="custom_event", actions=[{"type": "log", "message": "hi"}])
    return make_workflow("caller", actions=[{"type": "trigger_custom_event", "workflow": "notify"}])


def _fresh(workflow):
    return type(workflow).objects.get(pk=workflow.pk)


def test_deleting_what_a_compiled_caller_names_recompiles_the_caller(make_workflow):
    caller = _caller_of_notify(make_workflow)
    cache.get_compiled(caller)
    Workflow.objects.filter(name="notify").delete()
    with pytest.raises(DefinitionError, match="notify"):
        cache.get_compiled(_fresh(caller))


def test_renaming_what_a_compiled_caller_names_recompiles_the_caller(make_workflow):
    caller = _caller_of_notify(make_workflow)
    cache.get_compiled(caller)
    notify = Workflow.objects.get(name="notify")
    notify.name = "announce"
    notify.save()
    with pytest.raises(DefinitionError, match="notify"):
        cache.get_compiled(_fresh(caller))


def test_a_new_required_parameter_of_the_callee_recompiles_the_caller(make_workflow):
    caller = _caller_of_notify(make_workflow)
    cache.get_compiled(caller)
    Parameter.objects.create(workflow=Workflow.objects.get(name="notify"), key="who")
    with pytest.raises(DefinitionError, match="who"):
        cache.get_compiled(_fresh(caller))


def test_a_change_elsewhere_leaves_the_caller_alone(make_workflow):
    caller = _caller_of_notify(make_workflow)
    other = make_workflow("other", actions=[{"type": "log", "message": "x"}])
    other.description = "changed"
    other.save()
    Parameter.objects.create(workflow=other, key="who")
    assert _fresh(caller).updated_at == caller.updated_at
