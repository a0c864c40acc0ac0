"""The admin's *Run now…* page is laid out as the admin's other forms (Schedule…, a
change form): each label in its column beside its input, the help under it."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect


def test_run_now_is_a_form_like_the_others(admin_page: Page, make_workflow, screenshot):
    workflow = make_workflow(
        "greet",
        parameters=[{"key": "who", "type": "text", "description": "Whom to greet."}],
        actions=[{"type": "return_data", "data": {"hello": "{{ params.who }}"}}],
    )
    admin_page.goto(reverse("admin:workflows_workflow_run", args=[workflow.pk]))
    label = admin_page.locator("#run-now-form label").first
    expect(label).to_be_visible()
    assert label.evaluate("e => getComputedStyle(e).width") == "160px"  # the admin's column
    field = admin_page.locator("#run-now-form input[type=text]").first
    label_box, field_box = label.bounding_box(), field.bounding_box()
    assert label_box and field_box and label_box["x"] + label_box["width"] <= field_box["x"]
    screenshot(admin_page, "run-now")
