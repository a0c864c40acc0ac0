"""The workflow editor's pictures in docs/building-a-workflow.md, taken from the real page.

Every test here is an ordinary browser test (it checks what it photographs, and runs in
``make test``, writing only under test-results/); ``make screenshots`` runs them with
UPDATE_SCREENSHOTS=1, which also writes docs/screenshots/<name>.png. Pictures are of the
screen (``full_page=False``) or of one element: in a full-page capture the sticky Save row
would be drawn over the middle of the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from examples.models import Order
from examples.services import sample_data_ensure
from workflows.models import Workflow

from . import screens
from .builder import open_editor
from .layout import assert_no_horizontal_scroll

pytestmark = pytest.mark.screenshots

#: a small workflow for the picture of problems: a custom event, so its trigger box is short
WELCOME = {
    "kind": "custom_event",
    "description": "Welcome a new customer by email.",
    "parameters": [{"key": "customer", "type": "thing", "data_type": "examples.Customer"}],
    "actions": [
        {
            "type": "send_email",
            "to": "{{ params.customer.email }}",
            "subject": "Welcome!",
            "body": "Hello {{ params.customer.name }}, thank you for your order.",
        }
    ],
}


def _written(path: Path) -> tuple[int, int] | None:
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


@pytest.fixture
def picture(screenshot: Callable[..., Path]) -> Callable[..., Path]:
    """``picture(page_or_locator, name)``: the ``screenshot`` fixture, checking that an
    ordinary run (no UPDATE_SCREENSHOTS) leaves docs/screenshots/ alone."""

    def take(target: Page | Locator, name: str) -> Path:
        docs_copy = screens.DOCS_DIR / f"{screens.slug(name)}.png"
        before = _written(docs_copy)
        path = screenshot(target, name, full_page=False)
        assert path.stat().st_size > 0
        if not screens.updating_docs():
            assert _written(docs_copy) == before, f"an ordinary test run wrote {docs_copy}"
        return path

    return take


def scroll_to_top_of(page: Page, target: Locator) -> None:
    """Scroll so ``target`` is at the top of the screen (a little space above it)."""
    target.evaluate("(e) => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 12)")


def test_editor_trigger(admin_page: Page, process_order: Workflow, picture) -> None:
    page = admin_page
    open_editor(page, process_order)
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
    expect(page.locator("#wf-f-parameters-0-key")).to_have_value("order")
    assert_no_horizontal_scroll(page)
    picture(page, "editor-trigger")


def test_editor_step_open(admin_page: Page, process_order: Workflow, picture) -> None:
    page = admin_page
    open_editor(page, process_order)
    page.locator("#wf-card-2").click()
    expect(page.locator("#wf-props-2")).to_be_visible()
    expect(page.locator("#wf-f-actions-2-subject")).to_contain_text("confirmed")
    scroll_to_top_of(page, page.locator("#wf-card-1"))
    expect(page.locator("#wf-card-1")).to_be_in_viewport()
    assert_no_horizontal_scroll(page)
    picture(page, "editor-step-open")


def test_editor_add_a_step(admin_page: Page, process_order: Workflow, picture) -> None:
    page = admin_page
    open_editor(page, process_order)
    page.locator("#wf-add-step").focus()
    page.keyboard.press("Enter")  # by keyboard: the mouse hovers no item in the picture
    menu = page.get_by_role("menu", name="Add a step")
    expect(menu.get_by_role("menuitem", name="Send an email")).to_be_visible()
    menu.evaluate("(m) => m.scrollIntoView({block: 'end'})")
    expect(menu).to_be_in_viewport(ratio=0.99)
    picture(page, "editor-add-a-step")


def test_editor_insert_dynamic_data(admin_page: Page, process_order: Workflow, picture) -> None:
    page = admin_page
    open_editor(page, process_order)
    page.locator("#wf-card-2").click()
    scroll_to_top_of(page, page.locator("#wf-card-2"))
    page.locator("#wf-f-actions-2-subject-insert").click()
    picker = page.locator(".wf-picker")
    expect(picker.get_by_role("option")).to_contain_text(["order", "Result of step 1 (paid)"])
    expect(picker).to_be_in_viewport(ratio=1)
    picture(page, "editor-insert-dynamic-data")


def test_editor_problems(admin_page: Page, make_workflow, picture) -> None:
    workflow = make_workflow("welcome-customer", **WELCOME)
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")

    # a parameter's name mistyped, and a step added and left without its thing
    page.locator("#wf-card-0").click()
    page.locator("#wf-f-actions-0-subject").click()
    page.keyboard.press("End")
    page.keyboard.type(" {{ params.custmer.name }}")
    page.locator("#wf-add-step").click()
    page.get_by_role("menuitem", name="Make changes to a thing", exact=True).click()
    expect(page.locator(".wf-card")).to_have_count(2)
    page.locator("#wf-card-1").click()  # closed again: both cards show
    expect(page.locator("#wf-props-1")).to_have_count(0)
    issues = page.locator("#wf-issues")
    expect(issues).to_contain_text("3 problems to fix before saving")
    expect(issues).to_contain_text("custmer")
    expect(page.locator("#wf-card-0 .wf-badge")).to_have_text("1 problem")
    expect(page.locator("#wf-card-1 .wf-badge")).to_have_text("2 problems")
    page.evaluate("window.scrollTo(0, 0)")
    picture(page, "editor-problems")


def test_editor_test_run(admin_page: Page, process_order: Workflow, picture) -> None:
    sample_data_ensure()
    order = Order.objects.filter(status="new", total__gt=0).first()
    page = admin_page
    open_editor(page, process_order)
    page.locator("#wf-trial > summary").click()
    page.locator("#wf-f-trial-order").click()
    page.locator(".wf-thing-option").filter(has_text=str(order)).click()
    page.locator("#wf-trial-run").click()
    status = page.locator("#wf-trial-status")
    expect(status).to_contain_text("succeeded")
    expect(page.locator("#wf-trial-result")).to_contain_text("Not sent (recorded)")
    scroll_to_top_of(page, page.locator("#wf-trial > summary"))
    expect(status).to_be_in_viewport()
    picture(page, "editor-test-run")


def test_editor_definition(admin_page: Page, process_order: Workflow, picture) -> None:
    page = admin_page
    open_editor(page, process_order)
    view = page.locator("#wf-text-view")
    view.locator("summary").click()
    expect(page.locator("#wf-definition-text")).to_have_value(re.compile("name: process-order"))
    picture(view, "editor-definition")


def test_editor_phone(admin_mobile_page: Page, process_order: Workflow, picture) -> None:
    page = admin_mobile_page
    open_editor(page, process_order)
    page.locator("#wf-card-2").tap()
    expect(page.locator("#wf-props-2")).to_be_visible()
    scroll_to_top_of(page, page.locator("#wf-card-1"))
    assert_no_horizontal_scroll(page)
    picture(page, "editor-phone")
