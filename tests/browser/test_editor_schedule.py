"""The editor's recurring-schedule form reads a schedule however the scheduler reads it
(docs/scheduler.md): Bubble's words ("weekly") and "every 2 weeks" show as a count and a
unit, the next runs are listed, and the definition stays as written until the builder
changes it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from workflows.definitions import workflow_definition
from workflows.models import Workflow


def open_editor(page: Page, workflow: Workflow) -> None:
    page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    expect(page.locator("#wf-f-name")).to_have_value(workflow.name)


@pytest.mark.parametrize(
    "every, count, unit", [("Weekly", "1", "week"), ("every 2 months", "2", "month")]
)
def test_the_schedule_form_shows_words_and_every_n_units(
    admin_page: Page, make_workflow, every, count, unit, screenshot
) -> None:
    workflow = make_workflow(
        "cleanup", schedule={"every": every, "start": "2026-01-05T09:00:00Z"}, actions=[]
    )
    open_editor(admin_page, workflow)
    expect(admin_page.locator("#wf-f-schedule-count")).to_have_value(count)
    expect(admin_page.locator("#wf-f-schedule-unit")).to_have_value(unit)
    expect(admin_page.locator("#wf-schedule-next li")).to_have_count(5)
    screenshot(admin_page, f"editor-schedule-{unit}")

    # saved untouched: nothing was rewritten, the builder's words are kept
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_contain_text("Nothing changed")
    assert workflow_definition(Workflow.objects.get(pk=workflow.pk))["schedule"]["every"] == every


def test_changing_the_count_writes_n_units(admin_page: Page, make_workflow) -> None:
    workflow = make_workflow("cleanup", schedule={"every": "daily"}, actions=[])
    open_editor(admin_page, workflow)
    expect(admin_page.locator("#wf-f-schedule-unit")).to_have_value("day")
    admin_page.locator("#wf-f-schedule-count").fill("3")
    expect(admin_page.locator("#wf-schedule-next li")).to_have_count(5)
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_contain_text("was saved")
    assert workflow_definition(Workflow.objects.get(pk=workflow.pk))["schedule"] == {
        "every": "3 day"
    }
