"""The admin in a real browser: its pages render styled, without console errors, and fit a
laptop's screen; both sizes are photographed to look at (test-results/screenshots/)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from examples.services import WORKFLOWS_DIR
from workflows.models import Workflow
from workflows.transfer import import_definitions

from .conftest import DESKTOP, PHONE, Viewport
from .layout import assert_no_horizontal_scroll

BOTH = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=str)


def assert_styled(page: Page) -> None:
    """The admin's stylesheet was served (an unstyled page would still pass content asserts):
    Django's header bar has its colour only from static/admin/css/base.css."""
    expect(page.locator("#header")).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")


@pytest.fixture
def process_order(transactional_db) -> Workflow:
    """The shop example's process-order (a parameter and five actions: the page the README's
    tour opens), imported with the workflows it calls."""
    import_definitions([WORKFLOWS_DIR / "shop.yaml"])
    return Workflow.objects.get(name="process-order")


def open_change_page(page: Page, workflow: Workflow) -> None:
    page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(page).to_have_title(re.compile(workflow.name))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    expect(page.locator("#wf-f-name")).to_have_value(workflow.name)
    expect(page.locator("#wf-card-0")).to_contain_text("Make changes to params.order")


@BOTH
def test_admin_index_shows_backend_workflows(
    admin_page: Page, viewport: Viewport, screenshot
) -> None:
    admin_page.goto(reverse("admin:index"))
    section = admin_page.locator("#content-main .app-workflows")
    expect(section.locator("caption")).to_have_text("Workflows")
    expect(section.locator("th a[href='/admin/workflows/workflow/']")).to_have_text("Workflows")
    assert_styled(admin_page)
    if viewport == DESKTOP:
        assert_no_horizontal_scroll(admin_page)
    screenshot(admin_page, f"admin-index-{viewport}")


@BOTH
def test_workflow_change_page_opens(
    admin_page: Page, viewport: Viewport, process_order: Workflow, screenshot
) -> None:
    open_change_page(admin_page, process_order)
    assert_styled(admin_page)
    screenshot(admin_page, f"workflow-change-{viewport}")


def test_workflow_change_page_fits_a_laptop_screen(
    admin_page: Page, process_order: Workflow
) -> None:
    open_change_page(admin_page, process_order)
    assert_no_horizontal_scroll(admin_page)
