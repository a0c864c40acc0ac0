"""Deployed versions compiled per process: their workflows and privacy rules, as deployed."""

from __future__ import annotations

import pytest

from workflows.models import PrivacyRule, Version, Workflow
from workflows.versions import serving
from workflows.versions.deploy import deploy

GREET = [{"type": "return_data", "data": {"hi": "there"}}]


def test_no_live_version_before_the_first_deploy(db):
    assert serving.live_number() is None


def test_the_live_number_is_the_highest(make_workflow):
    make_workflow("greet", actions=GREET)
    deploy(message="1")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"hi": "you"}}])
    deploy(message="2")
    assert serving.live_number() == 2


def test_a_version_serves_its_workflows_as_deployed(make_workflow):
    row = make_workflow("greet", actions=GREET)
    deploy(message="1")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"hi": "you"}}])
    make_workflow("later", actions=GREET)
    version = serving.compiled_version(1)
    greet = version.workflow("greet")
    assert greet.definition["actions"][0]["data"] == {"hi": "there"}
    assert greet.pk == row.pk and greet.version == ("version", 1)
    assert version.workflow("later") is None  # made after the deploy
    assert version.workflow("greet") is greet  # compiled once


def test_a_deployed_workflow_deleted_since_has_no_development_row(make_workflow):
    make_workflow("greet", actions=GREET)
    deploy(message="1")
    Workflow.objects.filter(name="greet").delete()
    greet = serving.compiled_version(1).workflow("greet")
    assert greet is not None and greet.pk is None


def test_a_version_serves_its_privacy_rules_as_deployed(db):
    PrivacyRule.objects.filter(data_type="examples.Customer").delete()
    PrivacyRule.objects.create(
        data_type="examples.Customer",
        name="own",
        condition="thing.user == current_user",
        view_all=True,
        find_in_searches=True,
    )
    PrivacyRule.objects.create(data_type="examples.Customer", everyone_else=True)
    deploy(message="1")
    PrivacyRule.objects.filter(data_type="examples.Customer", name="own").delete()
    rules = serving.compiled_version(1).rules_for("examples.Customer")
    assert [r.name for r in rules][0] == "own" and rules[-1].everyone_else
    assert serving.compiled_version(1).rules_for("examples.Nothing") == []


def test_only_the_last_versions_used_are_kept(make_workflow, monkeypatch):
    monkeypatch.setattr(serving, "KEPT_VERSIONS", 2)
    for n in range(3):
        make_workflow("greet", actions=[{"type": "return_data", "data": {"n": n}}])
        deploy(message=str(n))
    for number in (1, 2, 3):
        serving.compiled_version(number)
    assert list(serving._versions) == [2, 3]


def test_a_number_never_deployed(db):
    with pytest.raises(Version.DoesNotExist):
        serving.compiled_version(7)
