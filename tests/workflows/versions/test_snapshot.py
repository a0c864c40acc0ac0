"""What changed between two snapshots of the backend, and its text diff."""

from __future__ import annotations

from workflows.versions.snapshot import Action, Kind, changes_between, development, items

BEFORE = {
    "workflows": [
        {"name": "greet", "actions": [{"type": "return_data", "data": {"hi": "there"}}]},
        {"name": "old", "actions": []},
    ],
    "privacy_rules": [{"data_type": "examples.Customer", "everyone_else": True, "view": []}],
}
AFTER = {
    "workflows": [
        {"name": "greet", "actions": [{"type": "return_data", "data": {"hi": "you"}}]},
        {"name": "new", "actions": []},
    ],
    "privacy_rules": [{"data_type": "examples.Customer", "everyone_else": True, "view": []}],
}


def test_created_changed_deleted_by_section_then_name():
    changes = changes_between(BEFORE, AFTER)
    assert [(c.kind, c.name, c.action) for c in changes] == [
        (Kind.WORKFLOW, "greet", Action.CHANGED),
        (Kind.WORKFLOW, "new", Action.CREATED),
        (Kind.WORKFLOW, "old", Action.DELETED),
    ]
    assert changes[0].label == "Workflow greet changed"


def test_the_first_version_creates_everything():
    changes = changes_between(None, AFTER)
    assert [(c.name, c.action) for c in changes] == [
        ("greet", Action.CREATED),
        ("new", Action.CREATED),
        ("examples.Customer: everyone else", Action.CREATED),
    ]


def test_nothing_changed_is_no_change():
    assert changes_between(BEFORE, BEFORE) == []


def test_text_diff_shows_the_changed_line():
    (greet,) = [c for c in changes_between(BEFORE, AFTER) if c.name == "greet"]
    diff = greet.text_diff().splitlines()
    assert "-      hi: there" in diff and "+      hi: you" in diff
    assert all(not line.startswith(("+  - type", "-  - type")) for line in diff)


def test_development_snapshot_holds_every_workflow_and_rule(make_workflow):
    make_workflow("greet", actions=[{"type": "return_data", "data": {"hi": "there"}}])
    found = items(development())
    assert (Kind.WORKFLOW, "greet") in found
    assert found[(Kind.WORKFLOW, "greet")]["actions"][0]["data"] == {"hi": "there"}
