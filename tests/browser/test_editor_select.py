"""Opening a step's properties rebuilds the card that closes and the one that opens, not the
whole editor (a click cost as much as loading the page with 50 steps: docs/performance.md,
"Workflow editor"); what the builder sees and can do is the same as after a full render."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from workflows.definitions import workflow_definition


def eight_steps() -> dict:
    """Make changes to an order and email its customer, four times over."""
    actions = []
    for n in range(4):
        actions += [
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"note": f"step {2 * n + 1}"},
            },
            {
                "type": "send_email",
                "to": "{{ params.order.customer.email }}",
                "subject": f"step {2 * n + 2}",
                "body": "Hello {{ params.order.customer.name }}",
            },
        ]
    parameters = [{"key": "order", "type": "thing", "data_type": "examples.Order"}]
    return {"kind": "api", "parameters": parameters, "actions": actions}


def test_a_click_opens_one_step_and_leaves_the_rest_of_the_editor_in_place(
    admin_page: Page, make_workflow
) -> None:
    workflow = make_workflow("eight-steps", **eight_steps())
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    expect(page.locator(".wf-card")).to_have_count(8)
    # the first check's answer may re-render a step opened before it came (what the step's
    # mappings offer depends on it): wait for it, then measure what a click rebuilds
    expect(page.locator("#wf-editor[data-checked]")).to_be_attached()
    expect(page.locator("#wf-editor[data-checking='false']")).to_be_attached()
    # elements a full render would replace carry a mark; the rebuilt cards lose theirs
    page.evaluate(
        "document.querySelectorAll('.wf-card, #wf-f-name').forEach((e) => { e.__kept = 1; })"
    )

    page.locator("#wf-card-4").click()
    expect(page.locator("#wf-props-4")).to_be_visible()
    expect(page.locator("#wf-card-4")).to_be_focused()
    expect(page.locator("#wf-card-4")).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.querySelector('#wf-f-name').__kept") == 1
    kept = page.evaluate(
        "[...document.querySelectorAll('.wf-card')].map((card) => card.__kept === 1)"
    )
    assert kept == [True] * 4 + [False] + [True] * 3  # the fifth: a make_changes

    page.locator("#wf-card-0").click()  # another step: the first one closes
    expect(page.locator("#wf-props-0")).to_be_visible()
    expect(page.locator("#wf-props-4")).to_have_count(0)
    expect(page.locator("#wf-card-4")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".wf-card.is-selected")).to_have_count(1)

    # the rebuilt panel works as before: a change is checked and offered for saving
    page.locator("#wf-f-actions-0-changes-note").click()
    page.keyboard.press("End")
    page.keyboard.type(" (edited)")
    page.locator("#wf-card-0").click()  # the same step again: it closes
    expect(page.locator("#wf-props-0")).to_have_count(0)
    expect(page.locator(".wf-card.is-selected")).to_have_count(0)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was saved")
    workflow.refresh_from_db()
    changes = [step.get("changes") for step in workflow_definition(workflow)["actions"]]
    assert changes[0] == {"note": "step 1 (edited)"} and changes[2] == {"note": "step 3"}
