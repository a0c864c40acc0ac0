"""Compiled once per saved definition, recompiled after any change, in every process."""

from __future__ import annotations

from workflows import engine
from workflows.engine import cache, compiler
from workflows.models import Action, Parameter


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
