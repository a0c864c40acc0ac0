"""Copying a deployed version back into development."""

from __future__ import annotations

from django.urls import reverse

from workflows.definitions import workflow_definition
from workflows.models import DefinitionChange, PrivacyRule, Version, Workflow
from workflows.versions.deploy import deploy
from workflows.versions.restore import copy_to_development

HELLO = {"actions": [{"type": "return_data", "data": {"w": "hello"}}]}
BYE = {"actions": [{"type": "return_data", "data": {"w": "bye"}}]}


def test_development_becomes_the_version_with_every_change_recorded(make_workflow, user):
    make_workflow("greet", **HELLO)
    first = deploy(message="first")
    make_workflow("greet", **BYE)
    make_workflow("later", **BYE)
    PrivacyRule.objects.create(
        data_type="examples.Order", name="extra", condition="true", view_all=True
    )
    restored = copy_to_development(first, user=user)
    assert workflow_definition(Workflow.objects.get(name="greet"))["actions"][0]["data"] == {
        "w": "hello"
    }
    assert not Workflow.objects.filter(name="later").exists()
    assert not PrivacyRule.objects.filter(name="extra").exists()
    assert restored.deleted_workflows == ["later"]
    assert restored.deleted_rules == ["examples.Order: extra"]
    recorded = set(
        DefinitionChange.objects.filter(source="version 1").values_list("name", "action")
    )
    assert recorded == {
        ("greet", "changed"),
        ("later", "deleted"),
        ("examples.Order: extra", "deleted"),
    }
    assert Version.objects.count() == 1  # live is not changed


def test_the_admin_copies_it_on_a_post_with_both_permissions(admin_client, make_workflow):
    root_client = admin_client
    make_workflow("greet", **HELLO)
    first = deploy(message="first")
    make_workflow("greet", **BYE)
    url = reverse("admin:workflows_version_to_development", args=[first.pk])
    page = root_client.get(reverse("admin:workflows_version_change", args=[first.pk]))
    assert 'id="version-to-development"' in page.content.decode()
    assert root_client.get(url).status_code == 405
    done = root_client.post(url, follow=True)
    assert "Development is now version 1" in done.content.decode()
    assert workflow_definition(Workflow.objects.get(name="greet"))["actions"][0]["data"] == {
        "w": "hello"
    }
