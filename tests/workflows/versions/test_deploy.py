"""Deploying the development version as numbered, immutable versions."""

from __future__ import annotations

import pytest

from workflows.models import Version, Workflow
from workflows.models.versions import VersionImmutable
from workflows.versions.deploy import DeployRefused, deploy, live, problems
from workflows.versions.snapshot import changes_between

GREET = [{"type": "return_data", "data": {"hi": "there"}}]


def test_first_deploy_is_version_1_with_everything_created(make_workflow, user):
    make_workflow("greet", actions=GREET)
    version = deploy(message="first", user=user)
    assert (version.number, version.message, version.author, version.author_name) == (
        1,
        "first",
        user,
        user.username,
    )
    workflows = [c for c in version.changes if c["kind"] == "workflow"]
    assert workflows == [{"kind": "workflow", "name": "greet", "action": "created"}]
    # the privacy rules there are (every type's "everyone else") are part of it too
    assert {c["kind"] for c in version.changes} == {"workflow", "privacy_rule"}
    assert [w["name"] for w in version.definition["workflows"]] == ["greet"]
    assert live() == version


def test_next_deploy_records_only_what_changed(make_workflow):
    make_workflow("greet", actions=GREET)
    make_workflow("other", actions=GREET)
    deploy(message="first")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"hi": "you"}}])
    Workflow.objects.filter(name="other").delete()
    second = deploy(message="second")
    assert second.number == 2 and second.author is None and second.author_name == ""
    assert second.changes == [
        {"kind": "workflow", "name": "greet", "action": "changed"},
        {"kind": "workflow", "name": "other", "action": "deleted"},
    ]


def test_nothing_to_deploy_is_refused(make_workflow):
    make_workflow("greet", actions=GREET)
    deploy(message="first")
    with pytest.raises(DeployRefused, match="nothing to deploy: it is the same as the live"):
        deploy(message="again")
    assert Version.objects.count() == 1


def test_a_broken_development_version_is_refused_naming_the_problem(make_workflow):
    make_workflow("helper", kind="custom_event", actions=GREET)
    make_workflow("caller", actions=[{"type": "trigger_custom_event", "workflow": "helper"}])
    Workflow.objects.filter(name="helper").delete()  # the caller is left naming nothing
    with pytest.raises(DeployRefused) as refused:
        deploy(message="broken")
    assert any("workflow 'caller'" in p and "helper" in p for p in refused.value.problems)
    assert Version.objects.count() == 0


def test_problems_of_a_snapshot_check_its_own_workflows_only(make_workflow):
    make_workflow("helper", kind="custom_event", actions=GREET)
    snapshot = {
        "workflows": [
            {"name": "caller", "actions": [{"type": "trigger_custom_event", "workflow": "helper"}]}
        ]
    }
    assert any("helper" in p for p in problems(snapshot))


def test_a_rollback_is_a_new_version_with_the_old_definition(make_workflow):
    make_workflow("greet", actions=GREET)
    first = deploy(message="first")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"hi": "you"}}])
    deploy(message="second")
    third = deploy(message="back to 1", restore=first)
    assert third.number == 3 and third.restored_from == 1
    assert third.definition == first.definition
    assert third.changes == [{"kind": "workflow", "name": "greet", "action": "changed"}]
    assert list(Version.objects.values_list("number", flat=True)) == [3, 2, 1]


def test_a_version_is_immutable(make_workflow):
    make_workflow("greet", actions=GREET)
    version = deploy(message="first")
    version.message = "rewritten"
    with pytest.raises(VersionImmutable):
        version.save()
    with pytest.raises(VersionImmutable):
        version.delete()
    assert Version.objects.get().message == "first"


def test_a_version_keeps_keys_in_the_order_written(make_workflow):
    """PostgreSQL's jsonb would sort them: a diff against live then showed every line moved,
    and a live ``return_data`` answered its keys in another order than development."""
    make_workflow("greet", actions=[{"type": "return_data", "data": {"zulu": 1, "alpha": 2}}])
    deploy(message="first")
    stored = Version.objects.get(number=1).definition  # read back from the database
    greet = stored["workflows"][0]
    assert list(greet)[:2] == ["name", "kind"]
    assert list(greet["actions"][0]["data"]) == ["zulu", "alpha"]

    make_workflow(
        "greet", actions=[{"type": "return_data", "data": {"zulu": 1, "alpha": 2, "mike": 3}}]
    )
    second = deploy(message="second")
    [change] = [
        c
        for c in changes_between(Version.objects.get(number=1).definition, second.definition)
        if c.kind == "workflow"
    ]
    lines = change.text_diff().splitlines()[2:]  # after the "--- before", "+++ after" heads
    added = [line for line in lines if line.startswith("+")]
    removed = [line for line in lines if line.startswith("-")]
    assert (added, removed) == (["+      mike: 3"], [])
