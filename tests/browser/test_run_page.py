"""A run's page and the Runs list in a real browser (1366 px): the error first naming its
step, values instead of JSON, the raw JSON a click away, a thing's link to its admin page,
failed runs marked, the user filter, and a re-run confirmed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from examples.models import Customer, Order
from workflows import engine
from workflows.choices import RunSource
from workflows.definitions import save_definition
from workflows.models import Run

from .layout import assert_no_horizontal_scroll

NOTE = "Leave the parcel with the neighbour.\nRing twice.\n" + "The gate code is 1234. " * 20


@pytest.fixture
def failed_run(transactional_db, django_user_model) -> Run:
    """process-order as an API call made it: step 1 saves a note, step 2 is skipped, step 3
    fails (it divides by the parameter n, which was 0)."""
    user = django_user_model.objects.create_user("alice", "alice@example.com", "pw-alice-123")
    customer = Customer.objects.create(name="Ann", email="ann@example.com", user=user)
    order = Order.objects.create(customer=customer, total=Decimal("12.50"))
    workflow, _ = save_definition(
        {
            "name": "process-order",
            "parameters": [
                {"key": "order", "type": "thing", "data_type": "examples.Order"},
                {"key": "note", "type": "text"},
                {"key": "lines", "type": "text", "list": True},
                {"key": "n", "type": "number"},
            ],
            "actions": [
                {
                    "id": "save_note",
                    "type": "make_changes",
                    "thing": "{{ params.order }}",
                    "changes": {"note": "{{ params.note }}"},
                },
                {"id": "urgent", "type": "log", "message": "urgent", "only_when": "false"},
                {"id": "share", "type": "return_data", "data": {"each": "{{ 100 / params.n }}"}},
            ],
        }
    )
    result = engine.run(
        workflow,
        {"order": order.pk, "note": NOTE, "lines": ["2 × widget", "1 × gadget"], "n": 0},
        user,
        source=RunSource.API,
    )
    assert not result.ok
    return result.run


def test_the_run_page_reads_as_a_run(admin_page: Page, failed_run: Run, screenshot) -> None:
    admin_page.goto(reverse("admin:workflows_run_change", args=[failed_run.pk]))
    expect(admin_page.locator("#run-status")).to_contain_text("✗ Failed")
    error = admin_page.locator("#run-error")
    expect(error).to_contain_text("Why it failed")
    expect(
        error.get_by_role("link", name=re.compile(r"step 3, share \(return_data\)"))
    ).to_be_visible()
    # the error comes before the facts, which come before the steps
    top = [
        admin_page.locator(s).bounding_box()["y"]
        for s in ("#run-error", "#run-facts", "#run-steps")
    ]
    assert top == sorted(top)
    expect(admin_page.locator("#run-facts")).to_contain_text("alice <alice@example.com>")
    expect(admin_page.locator("#run-facts")).to_contain_text("an API call")

    # steps: the failed one and the skipped one say so
    expect(admin_page.locator("#step-3")).to_contain_text("✗ Failed")
    expect(admin_page.locator("#step-2")).to_contain_text("Skipped: its “only when” was false")
    failed_bg = admin_page.locator("#step-3").evaluate("e => getComputedStyle(e).backgroundColor")
    plain_bg = admin_page.locator("#step-1").evaluate("e => getComputedStyle(e).backgroundColor")
    assert failed_bg != plain_bg

    # parameters as values: the order a link, the list a table, the long note folded
    params = admin_page.locator("#run-params")
    order_link = params.get_by_role("link", name=re.compile("Order"))
    expect(order_link).to_have_attribute("href", re.compile(r"/admin/examples/order/\d+/change/"))
    expect(params.locator("table.wf-list")).to_contain_text("2 × widget")
    fold = params.locator("details.wf-fold")
    expect(fold.locator("summary")).to_contain_text("Leave the parcel with the neighbour.")
    expect(fold.locator(".wf-long")).to_be_hidden()
    fold.locator("summary").click()
    expect(fold.locator(".wf-long")).to_be_visible()
    expect(fold.locator(".wf-long")).to_contain_text("Ring twice.")
    # the raw JSON, one click away
    raw = params.locator("details.run-raw")
    expect(raw.locator("pre")).to_be_hidden()
    raw.locator("summary").click()
    expect(raw.locator("pre")).to_contain_text('"_type": "examples.Order"')
    assert_no_horizontal_scroll(admin_page)
    screenshot(admin_page, "run-page-failed-1366")

    # the error's step link goes to the step, the order's link to its admin page
    error.get_by_role("link").click()
    expect(admin_page).to_have_url(re.compile("#step-3$"))
    order_link.click()
    expect(admin_page).to_have_url(re.compile(r"/admin/examples/order/\d+/change/$"))


def test_the_runs_list_marks_failures_and_filters_by_user(
    admin_page: Page, failed_run: Run, screenshot
) -> None:
    Run.objects.create(
        workflow_name="someone-else", status="succeeded", finished_at=failed_run.finished_at
    )
    admin_page.goto(reverse("admin:workflows_run_changelist"))
    rows = admin_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    failed_row = rows.filter(has_text="process-order")
    expect(failed_row).to_contain_text("✗ Failed")
    expect(failed_row).to_contain_text(failed_run.error_code)
    cell = failed_row.locator("td").first
    other = rows.filter(has_text="someone-else").locator("td").first
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") != other.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    admin_page.locator("#run-user").fill("ALICE@example.com")
    admin_page.locator("#run-filter-user").get_by_role("button", name="Apply").click()
    expect(admin_page).to_have_url(re.compile(r"user=ALICE%40example\.com"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("process-order")
    assert_no_horizontal_scroll(admin_page)
    screenshot(admin_page, "runs-list-1366")


def test_a_rerun_is_confirmed_then_made_once(admin_page: Page, failed_run: Run) -> None:
    admin_page.goto(reverse("admin:workflows_run_change", args=[failed_run.pk]))
    admin_page.locator("#run-rerun").click()
    expect(admin_page.locator("#content-main")).to_contain_text("as alice, the user the run ran as")
    expect(admin_page.locator("#rerun-params")).to_contain_text("2 × widget")
    admin_page.locator("#rerun-confirm").click()
    expect(admin_page.locator("#run-links")).to_contain_text("Re-run of")
    expect(admin_page.locator("ul.messagelist")).to_contain_text("Re-ran process-order as alice")
    assert Run.objects.filter(rerun_of=failed_run).count() == 1
