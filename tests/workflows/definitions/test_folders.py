"""Folders of backend workflows (Bubble's backend editor groups them so): a ``folder:``
key kept through export, import and deploys, a column and a filter in the admin's list
(docs/workflow-format.md)."""

from __future__ import annotations

import pytest
import yaml

from workflows.definitions import workflow_definition
from workflows.exceptions import DefinitionError
from workflows.models import Workflow
from workflows.transfer import WorkflowFile, export_definitions, import_definitions
from workflows.versions.deploy import deploy


def test_a_folder_goes_through_export_import_and_a_deploy(make_workflow):
    make_workflow("charge", folder="Billing", actions=[{"type": "terminate"}])
    make_workflow("loose", actions=[{"type": "terminate"}])
    exported = export_definitions()
    by_name = {w["name"]: w for w in exported["workflows"]}
    assert by_name["charge"]["folder"] == "Billing" and "folder" not in by_name["loose"]

    Workflow.objects.all().delete()
    import_definitions([WorkflowFile("app.yaml", yaml.safe_dump(exported))])
    assert Workflow.objects.get(name="charge").folder == "Billing"

    version = deploy(message="with folders")
    live = {w["name"]: w for w in version.definition["workflows"]}
    assert live["charge"]["folder"] == "Billing"
    assert workflow_definition(Workflow.objects.get(name="charge"))["folder"] == "Billing"


def test_a_folder_is_one_line_of_text(make_workflow):
    with pytest.raises(DefinitionError, match="folder"):
        make_workflow("bad", folder="Billing\nInvoices", actions=[])


def test_the_admin_lists_and_filters_by_folder(make_workflow, admin_client):
    make_workflow("charge", folder="Billing", actions=[])
    make_workflow("greet", folder="Users", actions=[])
    page = admin_client.get("/admin/workflows/workflow/?folder=Billing").content.decode()
    assert "charge" in page and ">greet<" not in page
    assert "Billing" in admin_client.get("/admin/workflows/workflow/").content.decode()
