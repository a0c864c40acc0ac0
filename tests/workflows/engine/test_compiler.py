"""The compiler's catalog of other workflows (workflows/engine/compiler.py)."""

from __future__ import annotations


def test_a_workflow_named_in_many_steps_is_read_once(make_workflow, django_assert_max_num_queries):
    """The catalog remembers what it read for one compile (the editor's live check of a
    long workflow read the same scheduled workflow twice per step)."""
    from workflows.engine.compiler import compile_definition

    make_workflow("later", parameters=[{"key": "n", "type": "number"}])
    step = {"type": "schedule_workflow", "workflow": "later", "at": "{{ now }}", "params": {"n": 1}}
    with django_assert_max_num_queries(2):
        compile_definition({"name": "many", "actions": [step] * 20})
