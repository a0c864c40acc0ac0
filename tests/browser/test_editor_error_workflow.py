"""Choosing a workflow's error workflow in the editor: API workflows other than itself are
offered, the choice is saved, and one that cannot take the failure is shown on the field."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from workflows.models import Workflow

from .builder import open_editor


def test_an_error_workflow_is_chosen_saved_and_checked(
    admin_page: Page, make_workflow, screenshot
) -> None:
    make_workflow("on-error", parameters=[{"key": "workflow", "type": "text"}], actions=[])
    make_workflow("needs-order", parameters=[{"key": "order", "type": "text"}], actions=[])
    make_workflow("notify", kind="custom_event", actions=[])
    sync = make_workflow("sync", actions=[{"type": "log", "message": "x"}])
    open_editor(admin_page, sync)
    admin_page.locator("summary", has_text="More API settings").click()
    select = admin_page.locator("#wf-f-error_workflow")
    options = select.locator("option").all_inner_texts()
    assert options == ["None", "needs-order", "on-error"]  # API workflows, not itself

    select.select_option("needs-order")
    expect(admin_page.locator("#wf-f-error_workflow-error")).to_contain_text(
        "has a required parameter 'order'"
    )
    screenshot(admin_page.locator(".wf-more"), "editor-error-workflow")
    select.select_option("on-error")
    expect(admin_page.locator("#wf-issues")).to_contain_text("No problems found")
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_contain_text("was saved")
    assert Workflow.objects.get(pk=sync.pk).error_workflow == "on-error"
