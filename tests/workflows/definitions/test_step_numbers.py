"""Steps count from 1 wherever a person reads a number: ``steps[N]``, the run log, errors,
import paths, the admin's positions — and older definitions keep their meaning."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from workflows import engine
from workflows.models import Action, StepRun
from workflows.transfer import export_definitions, import_definitions

pytestmark = pytest.mark.django_db

STEPS = [
    {"type": "log", "message": "first"},
    {"type": "log", "message": "second"},
    {"type": "return_data", "data": {"first": "{{ steps[1] }}", "second": "{{ steps[2] }}"}},
]


def test_steps_n_the_run_log_and_errors_agree(make_workflow, user):
    wf = make_workflow(actions=[*STEPS[:2], {"type": "log", "message": "{{ 1 / 0 }}"}])
    result = engine.run(wf, {}, user)
    assert [(s.position, s.output) for s in result.run.steps.all()][:2] == [
        (1, "first"),
        (2, "second"),
    ]
    assert result.error.message.startswith("step 3 (Write to the log) failed")
    assert result.run.steps.get(position=3).status == "failed"
    ok = make_workflow("ok", actions=STEPS)
    assert engine.run(ok, {}, user).response == {"first": "first", "second": "second"}


def test_a_version_1_file_counted_steps_from_0(tmp_path, user):
    path = tmp_path / "old.yaml"
    path.write_text(
        "version: 1\n"
        "workflows:\n"
        "  - name: old\n"
        "    actions:\n"
        "      - {type: log, message: first}\n"
        "      - {type: log, message: second}\n"
        "      - type: return_data\n"
        '        data: {first: "{{ steps[0] }}", second: "{{ steps [1] }}"}\n'
    )
    import_definitions([path])
    action = Action.objects.get(workflow__name="old", type="return_data")
    assert action.config["data"] == {"first": "{{ steps[1] }}", "second": "{{ steps [2] }}"}
    from workflows.models import Workflow

    result = engine.run(Workflow.objects.get(name="old"), {}, user)
    assert result.response == {"first": "first", "second": "second"}
    assert export_definitions(["old"])["version"] == 2


def test_the_migration_renumbers_what_is_stored(make_workflow, user):
    migration = importlib.import_module("workflows.migrations.0005_steps_count_from_one")
    wf = make_workflow(actions=STEPS)
    run = engine.run(wf, {}, user).run
    migration.backwards(apps, None)  # as stored before the migration
    action = Action.objects.get(workflow=wf, type="return_data")
    assert action.config["data"]["first"] == "{{ steps[0] }}"
    assert sorted(s.position for s in StepRun.objects.filter(run=run)) == [0, 1, 2]
    migration.forwards(apps, None)
    action.refresh_from_db()
    assert action.config["data"] == {"first": "{{ steps[1] }}", "second": "{{ steps[2] }}"}
    assert sorted(s.position for s in StepRun.objects.filter(run=run)) == [1, 2, 3]
    assert sorted(a.position for a in Action.objects.filter(workflow=wf)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("{{ steps[0].id }}", "{{ steps[1].id }}"),
        ("{{ steps [ 2 ] }} and {{ steps[0] }}", "{{ steps [ 3 ] }} and {{ steps[1] }}"),
        ("{{ params.steps[0] }}", "{{ params.steps[0] }}"),  # a parameter's own list
        ("Follow steps[1] in the manual {{ 1 }}", "Follow steps[1] in the manual {{ 1 }}"),
        ("{{ recipe.steps[2].title }}", "{{ recipe.steps[2].title }}"),
        ("{{ steps[params.i] }}", "{{ steps[params.i] }}"),
        ("{{ broken", "{{ broken"),
    ],
)
def test_only_step_numbers_inside_expressions_move(before, after):
    from workflows.definitions import shift_step_numbers

    assert shift_step_numbers(before, 1) == after


def test_conditions_are_bare_expressions():
    from workflows.definitions import renumber_steps

    moved = renumber_steps({"only_when": "steps[0].ok and 'steps[0]' != ''"}, 1)
    assert moved == {"only_when": "steps[1].ok and 'steps[0]' != ''"}


def test_a_negative_step_number_is_refused_when_saved(make_workflow):
    from workflows.exceptions import DefinitionError

    with pytest.raises(DefinitionError, match=r"steps\[-1\].*numbered from 1"):
        make_workflow(
            actions=[{"type": "log", "message": "a"}, {"type": "log", "message": "{{ steps[-1] }}"}]
        )
