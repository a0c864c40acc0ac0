"""A blank Add workflow page: what saving needs is listed plainly, not as errors, until the
builder changes something; from then on (or after a refused save) problems are marked as
usual, on the panel and on each field."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect


def test_a_blank_workflow_starts_without_red(admin_page: Page, screenshot):
    admin_page.goto(reverse("admin:workflows_workflow_add"))
    expect(admin_page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    issues = admin_page.locator("#wf-issues")
    expect(issues).to_contain_text("Before it can be saved:")
    expect(issues).to_contain_text("name")
    expect(issues).not_to_have_class("wf-issues has-issues")
    title = issues.locator(".wf-issues-title")
    error_colour = admin_page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--error-fg')"
    )
    assert title.evaluate("e => getComputedStyle(e).color") != _rgb(admin_page, error_colour)
    assert admin_page.locator("[aria-invalid=true]").count() == 0
    screenshot(admin_page, "editor-new-workflow")

    name = admin_page.get_by_label("Name", exact=True)
    name.fill("not a name!")
    expect(issues).to_contain_text("to fix before saving")
    expect(issues).to_have_class("wf-issues has-issues")
    expect(name).to_have_attribute("aria-invalid", "true")

    name.fill("")
    admin_page.locator("input[name=_save]").click()  # refused: marked when it comes back
    expect(admin_page.locator("#wf-issues")).to_contain_text("to fix before saving")


def _rgb(page: Page, colour: str) -> str:
    """A CSS colour as the browser computes it (``rgb(...)``)."""
    return page.evaluate(
        "c => { const e = document.createElement('i'); e.style.color = c; document.body.append(e);"
        " const v = getComputedStyle(e).color; e.remove(); return v; }",
        colour.strip(),
    )
