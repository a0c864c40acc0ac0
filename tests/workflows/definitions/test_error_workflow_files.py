"""``error_workflow`` in definition files: exported, imported, checked with the files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from workflows.models import Workflow
from workflows.transfer import (
    ImportRefused,
    WorkflowFile,
    export_definitions,
    import_definitions,
)

from .conftest import line_of

pytestmark = pytest.mark.django_db

FILE = """\
version: 2
workflows:
  - name: sync-orders
    error_workflow: tell-ops
    retries: 2
    actions:
      - {type: log, message: syncing}
  - name: tell-ops
    parameters:
      - {key: workflow, type: text}
      - {key: error_message, type: text}
      - {key: step, type: number, optional: true}
    actions:
      - {type: log, message: "{{ params.workflow }} failed: {{ params.error_message }}"}
"""


def test_it_round_trips_and_may_name_a_workflow_later_in_the_files(write):
    import_definitions([write("ops.yaml", FILE)])
    assert Workflow.objects.get(name="sync-orders").error_workflow == "tell-ops"
    exported = {d["name"]: d for d in export_definitions()["workflows"]}
    assert exported["sync-orders"]["error_workflow"] == "tell-ops"
    assert "error_workflow" not in exported["tell-ops"]  # none: not written
    Workflow.objects.all().delete()
    import_definitions([write("again.yaml", "workflows:\n" + _workflows(exported))])
    assert Workflow.objects.get(name="sync-orders").error_workflow == "tell-ops"


def test_a_change_that_would_break_a_stored_workflows_error_workflow_is_refused(write):
    import_definitions([write("ops.yaml", FILE)])
    tell_ops = FILE.split("  - name: tell-ops")[1]
    broken = "workflows:\n  - name: tell-ops\n    kind: custom_event" + tell_ops
    with pytest.raises(ImportRefused, match="must be an API workflow") as caught:
        import_definitions([write("tell.yaml", broken)])
    assert caught.value.problems[0].workflow == "sync-orders"


def test_an_unknown_error_workflow_is_refused_on_its_line(write):
    text = FILE.split("  - name: tell-ops")[0]
    with pytest.raises(ImportRefused, match="no workflow named 'tell-ops'") as caught:
        import_definitions([write("sync.yaml", text)])
    assert caught.value.problems[0].line == line_of(text, "error_workflow")


def _workflows(exported: dict) -> str:
    return yaml.safe_dump(list(exported.values()), sort_keys=False)


def test_the_documented_example_imports(monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_SLACK_WEBHOOK", "https://hooks.example.com/x")
    doc = (Path(__file__).resolve().parents[3] / "docs" / "workflow-format.md").read_text()
    section = doc.split("### `error_workflow`", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    import_definitions([WorkflowFile("doc.yaml", "workflows:\n" + example)])
    assert Workflow.objects.get(name="sync-orders").error_workflow == "tell-ops"
