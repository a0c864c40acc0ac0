"""Privacy rules in workflow files: imported with the workflows, idempotent, all or nothing,
errors naming the rule, the field and the line; exported back the same."""

from __future__ import annotations

import pytest

from workflows.models import DefinitionChange, PrivacyRule, Workflow
from workflows.transfer import (
    ImportRefused,
    ImportStatus,
    WorkflowFile,
    export_definitions,
    import_definitions,
)

RULES = """\
version: 1
workflows:
  - name: hello
    actions: [{type: log, message: hi}]
privacy_rules:
  - data_type: examples.Order
    name: owner-sees-own
    when: thing.customer.user == current_user
    view: all
    find_in_searches: true
    modify_via_api: true
  - data_type: examples.Order
    everyone_else: true
    view: [id, status]
    find_in_searches: false
"""


def load(text: str, **kwargs):
    return import_definitions([WorkflowFile("rules.yaml", text)], **kwargs)


def test_rules_are_imported_with_the_workflows(db):
    report = load(RULES)
    assert [r.status for r in report.rules] == [ImportStatus.CREATED, ImportStatus.CREATED]
    owner, everyone = PrivacyRule.objects.order_by("everyone_else")
    assert (owner.name, owner.condition, owner.view_all) == (
        "owner-sees-own",
        "thing.customer.user == current_user",
        True,
    )
    assert owner.find_in_searches and owner.modify_via_api and not owner.delete_via_api
    assert everyone.everyone_else and everyone.view_fields == ["status"]
    assert Workflow.objects.filter(name="hello").exists()
    assert "privacy rules: 2 created" in report.summary()


def test_importing_twice_changes_nothing(db):
    load(RULES)
    changes = DefinitionChange.objects.count()
    report = load(RULES)
    assert {r.status for r in report.rules} == {ImportStatus.UNCHANGED}
    assert not report.changed
    assert DefinitionChange.objects.count() == changes


def test_a_changed_rule_is_updated_and_recorded(db):
    load(RULES)
    report = load(RULES.replace("view: all", "view: [status, total]"))
    assert [r.status for r in report.rules] == [ImportStatus.UPDATED, ImportStatus.UNCHANGED]
    rule = PrivacyRule.objects.get(name="owner-sees-own")
    assert not rule.view_all and rule.view_fields == ["status", "total"]
    change = DefinitionChange.objects.filter(kind="privacy_rule", action="changed").get()
    assert change.before["view"] == "all" and change.after["view"] == ["status", "total"]


def test_export_then_import_round_trips(db):
    load(RULES)
    document = export_definitions()
    assert len(document["privacy_rules"]) == 2
    import yaml

    report = load(yaml.safe_dump(document, sort_keys=False))
    assert {r.status for r in report.rules} == {ImportStatus.UNCHANGED}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "when: thing.customer.user == current_user",
            "when: thing.customer.name|lower == 'x'",
            "cannot be translated",
        ),
        ("view: all", "view: [status, colour]", "no field 'colour'"),
        ("find_in_searches: true", "find_in_searches: yes please", "must be true or false"),
        ("modify_via_api: true", "modify_it: true", "unknown key"),
        (
            "data_type: examples.Order\n    name",
            "data_type: examples.Nope\n    name",
            "unknown data type",
        ),
    ],
)
def test_a_bad_rule_imports_nothing_and_names_rule_field_and_line(db, old, new, message):
    text = RULES.replace(old, new, 1)
    with pytest.raises(ImportRefused) as caught:
        load(text)
    problem = caught.value.problems[0]
    assert message in problem.message
    assert "privacy rule" in problem.message
    assert problem.line is not None and problem.line > 5
    assert not PrivacyRule.objects.exists()
    assert not Workflow.objects.exists()  # all or nothing


def test_a_rule_defined_twice_is_refused(db):
    text = RULES + "  - data_type: examples.Order\n    everyone_else: true\n    view: all\n"
    with pytest.raises(ImportRefused, match="also defined at rules.yaml"):
        load(text)


def test_keep_existing_leaves_edited_rules_alone(db):
    load(RULES)
    PrivacyRule.objects.filter(name="owner-sees-own").update(view_all=False, view_fields=["total"])
    report = load(RULES, keep_existing=True)
    assert report.rules[0].status == ImportStatus.KEPT
    assert PrivacyRule.objects.get(name="owner-sees-own").view_fields == ["total"]
