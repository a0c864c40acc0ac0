"""The editor's Time zone field (docs/workflow-format.md, ``time_zone``): every IANA zone
is offered as it is typed, a chosen zone is saved in the definition, and a name that is
not a zone is refused on the field itself."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from workflows.definitions import workflow_definition
from workflows.models import Workflow


def test_a_builder_sets_the_workflows_time_zone(admin_page: Page, make_workflow, screenshot):
    workflow = make_workflow("morning", actions=[{"type": "terminate"}])
    admin_page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(admin_page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    zone = admin_page.get_by_label("Time zone")
    expect(zone).to_have_value("")
    expect(zone).to_have_attribute("placeholder", "UTC")
    assert admin_page.locator("#wf-time-zones option[value='Europe/Paris']").count() == 1

    zone.fill("Mars/Olympus")
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator("#wf-f-time_zone-error")).to_contain_text("not an IANA time zone")
    assert workflow_definition(Workflow.objects.get(pk=workflow.pk)).get("time_zone") is None

    admin_page.get_by_label("Time zone").fill("Europe/Paris")
    screenshot(admin_page, "editor-time-zone")
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_contain_text("was saved")
    assert workflow_definition(Workflow.objects.get(pk=workflow.pk))["time_zone"] == "Europe/Paris"
