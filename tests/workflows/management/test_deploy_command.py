"""``deploy``, ``export_workflows --version`` and ``import_workflows --deploy``."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from workflows.models import Version, Workflow

GREET = {"actions": [{"type": "return_data", "data": {"w": "hello"}}]}
FILE = """\
version: 2
workflows:
  - name: greet
    expose: true
    auth: none
    actions:
      - type: return_data
        data: {w: from-file}
"""


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_deploy_then_nothing_to_deploy(make_workflow):
    make_workflow("greet", **GREET)
    assert "Deployed version 1: first" in run("deploy", "-m", "first")
    assert {
        "kind": "workflow",
        "name": "greet",
        "action": "created",
    } in Version.objects.get().changes
    with pytest.raises(CommandError, match="nothing to deploy"):
        run("deploy", "-m", "again")


def test_dry_run_lists_changes_and_deploys_nothing(make_workflow):
    make_workflow("greet", **GREET)
    out = run("deploy", "-m", "x", "--dry-run")
    assert "Workflow greet created" in out and "(dry run: nothing deployed)" in out
    assert not Version.objects.exists()


def test_a_broken_development_is_refused_naming_the_problem(make_workflow):
    make_workflow("helper", kind="custom_event", **GREET)
    make_workflow("caller", actions=[{"type": "trigger_custom_event", "workflow": "helper"}])
    Workflow.objects.filter(name="helper").delete()
    with pytest.raises(CommandError, match="deploy refused:\nworkflow 'caller'"):
        run("deploy", "-m", "broken")
    assert not Version.objects.exists()


def test_rollback_and_export_of_a_version(make_workflow, tmp_path):
    make_workflow("greet", **GREET)
    run("deploy", "-m", "first")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"w": "bye"}}])
    run("deploy", "-m", "second")
    assert "Deployed version 3 (version 1 again): back" in run(
        "deploy", "-m", "back", "--version", "1"
    )
    target = tmp_path / "v2.yaml"
    call_command(
        "export_workflows", "--version", "2", "greet", "-o", str(target), stderr=io.StringIO()
    )
    exported = yaml.safe_load(target.read_text())
    assert exported["workflows"][0]["actions"][0]["data"] == {"w": "bye"}
    with pytest.raises(CommandError, match="there is no version 9"):
        run("deploy", "-m", "x", "--version", "9")
    with pytest.raises(CommandError, match="there is no version 9"):
        run("export_workflows", "--version", "9")


def test_import_and_deploy_in_one_step(db, tmp_path):
    source = tmp_path / "backend.yaml"
    source.write_text(FILE)
    out = run("import_workflows", str(source), "--deploy", "-m", "release 1")
    assert "Deployed version 1: release 1" in out
    again = run("import_workflows", str(source), "--deploy", "-m", "release 1 again")
    assert "nothing to deploy" in again and Version.objects.count() == 1
    with pytest.raises(CommandError, match="--deploy needs a message"):
        run("import_workflows", str(source), "--deploy")
