"""Imports are recorded in the audit trail: one record per workflow created or changed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from workflows.models import DefinitionChange
from workflows.transfer import ImportRefused, WorkflowFile, import_definitions

TWO = """
version: 1
workflows:
  - name: first
    actions: [{type: log, message: one}]
  - name: second
    actions: [{type: log, message: two}]
"""


def changes() -> list[tuple[str, str, str, str]]:
    rows = DefinitionChange.objects.order_by("id")
    return [(c.name, c.action, c.source, c.username) for c in rows]


def test_an_import_records_each_created_workflow(db, user):
    import_definitions([WorkflowFile("two.yaml", TWO)], user=user)
    assert changes() == [
        ("first", "created", "import", "alice"),
        ("second", "created", "import", "alice"),
    ]
    first = DefinitionChange.objects.get(name="first")
    assert first.before is None
    assert first.after["actions"] == [{"type": "log", "message": "one"}]


def test_an_unchanged_import_records_nothing(db):
    import_definitions([WorkflowFile("two.yaml", TWO)])
    DefinitionChange.objects.all().delete()
    import_definitions([WorkflowFile("two.yaml", TWO)])
    assert changes() == []


def test_only_the_changed_workflow_is_recorded_with_before_and_after(db):
    import_definitions([WorkflowFile("two.yaml", TWO)])
    DefinitionChange.objects.all().delete()
    import_definitions([WorkflowFile("two.yaml", TWO.replace("message: two", "message: deux"))])
    assert changes() == [("second", "changed", "import", "")]
    change = DefinitionChange.objects.get()
    assert change.before["actions"][0]["message"] == "two"
    assert change.after["actions"][0]["message"] == "deux"


def test_a_refused_or_dry_run_import_records_nothing(db):
    bad = TWO.replace("type: log, message: two", "type: nope")
    with pytest.raises(ImportRefused):
        import_definitions([WorkflowFile("bad.yaml", bad)])
    import_definitions([WorkflowFile("two.yaml", TWO)], dry_run=True)
    assert changes() == []


def test_kept_workflows_are_not_recorded(db):
    import_definitions([WorkflowFile("two.yaml", TWO)])
    DefinitionChange.objects.all().delete()
    edited = TWO.replace("message: one", "message: uno")
    import_definitions([WorkflowFile("two.yaml", edited)], keep_existing=True)
    assert changes() == []


def test_the_command_names_the_user(db, user, write):
    path = write("two.yaml", TWO)
    call_command("import_workflows", str(path), "--user", "alice", stdout=StringIO())
    assert {c[3] for c in changes()} == {"alice"}
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("import_workflows", str(path), "--user", "nobody")
