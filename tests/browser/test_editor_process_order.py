"""A builder rebuilds the seeds' process-order from a blank workflow, in the editor alone:
parameters, five steps, an "only when", returned data — every value typed as plain text or
picked with "Insert dynamic data", never a {{ typed by hand — test-runs it (nothing
changes), saves it, and the saved definition is the example's."""

from __future__ import annotations

import yaml
from django.urls import reverse
from playwright.sync_api import Page, expect

from examples.models import Order
from examples.services import WORKFLOWS_DIR, sample_data_ensure
from workflows.definitions import normalized, workflow_definition
from workflows.models import Workflow
from workflows.transfer import import_definitions

from .builder import Builder


def example(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS_DIR / "shop.yaml").read_text())
    return next(w for w in document["workflows"] if w["name"] == name)


def test_a_builder_rebuilds_process_order_in_the_editor(admin_page: Page, transactional_db, capsys):
    import_definitions([WORKFLOWS_DIR / "shop.yaml"])  # what it calls: order-summary...
    Workflow.objects.filter(name="process-order").delete()
    sample_data_ensure()
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_add"))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    b = Builder(page)

    # the trigger: name, description, exposed, its parameter, its "only when"
    b.fill("#wf-f-name", "process-order")
    b.fill("#wf-f-description", example("process-order")["description"])
    b.click("#wf-f-expose")
    b.click("text=+ Add a parameter")
    b.fill("#wf-f-parameters-0-key", "order")
    b.choose("#wf-f-parameters-0-type", "thing")
    b.choose("#wf-f-parameters-0-data_type", "examples.Order")
    b.fill("#wf-f-parameters-0-description", "The order that was paid (send its id).")
    b.insert("wf-f-only_when", "order", "total")
    b.type_into("wf-f-only_when", " > 0")

    # 1. mark it paid
    n = b.add_step("Make changes to a thing")
    b.insert(b.step_field(n, "thing"), "order")
    b.choose(f"#{b.step_field(n, 'changes')}-__add", "status")
    b.type_into(b.step_field(n, "changes.status"), "paid")
    b.choose(f"#{b.step_field(n, 'changes')}-__add", "paid_at")
    b.insert(b.step_field(n, "changes.paid_at"), "Current date/time")
    name_step(b, n, "paid")

    # 2. its summary, from the custom event
    n = b.add_step("Trigger a custom event")
    b.choose(f"#{b.step_field(n, 'workflow')}", "order-summary")
    b.insert(b.step_field(n, "params.order"), "order")
    name_step(b, n, "summary")

    # 3. the confirmation email
    n = b.add_step("Send an email")
    b.insert(b.step_field(n, "to"), "order", "customer", "email")
    b.type_into(b.step_field(n, "subject"), "Order #")
    b.insert(b.step_field(n, "subject"), "order", "ID")
    b.type_into(b.step_field(n, "subject"), " confirmed")
    b.type_into(b.step_field(n, "body"), "Hello ")
    b.insert(b.step_field(n, "body"), "order", "customer", "name")
    b.type_into(b.step_field(n, "body"), ",\n\nThank you! We have received your payment.\n")
    b.insert(b.step_field(n, "body"), "Result of step 2 (summary)", "summary")
    b.type_into(b.step_field(n, "body"), "\n")
    name_step(b, n, "confirmation")

    # 4. a review request in 7 days
    n = b.add_step("Schedule an API workflow")
    b.choose(f"#{b.step_field(n, 'workflow')}", "send-review-request")
    b.insert(b.step_field(n, "at"), "Current date/time", "plus days")
    b.insert(b.step_field(n, "params.order"), "order")
    name_step(b, n, "review")

    # 5. what the caller gets
    n = b.add_step("Return data")
    for key, path in (
        ("order", ("order", "ID")),
        ("status", ("Result of step 1 (paid)", "status")),
        ("summary", ("Result of step 2 (summary)", "summary")),
        ("review_run", ("Result of step 4 (review)", "id")),
        ("review_due", ("Result of step 4 (review)", "due_at")),
    ):
        b.click(page.locator(f"#wf-props-{n - 1}").get_by_role("button", name="+ Add a key"))
        b.fill(f"#{b.step_field(n, 'data')}-key-key", key)
        b.insert(b.step_field(n, f"data.{key}"), *path)

    expect(page.locator("#wf-issues")).to_contain_text("No problems found")

    # a test run: the order is found by its name; nothing changes, nothing is sent
    order = Order.objects.filter(status="new", total__gt=0).first()
    b.click("#wf-trial > summary")
    b.click("#wf-f-trial-order")
    b.click(page.locator(".wf-thing-option").filter(has_text=str(order)))
    b.click("#wf-trial-run")
    expect(page.locator("#wf-trial-status")).to_contain_text("succeeded")
    expect(page.locator("#wf-trial-result")).to_contain_text("Not sent (recorded)")
    order.refresh_from_db()
    assert order.status == "new"

    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added")
    saved = workflow_definition(Workflow.objects.get(name="process-order"))
    assert normalized(saved) == normalized(example("process-order"))
    with capsys.disabled():
        print(
            f"\nrebuilding process-order in the editor: {b.interactions} interactions, "
            f"{b.seconds():.1f} s in the browser test"
        )


def name_step(b: Builder, number: int, step_id: str) -> None:
    """Give the step its id, in its "Name, label and Only when" box."""
    props = b.page.locator(f"#wf-props-{number - 1}")
    b.click(props.locator("details.wf-more > summary"))
    b.fill(f"#{b.step_field(number, 'id')}", step_id)
