"""Bubble's per-parameter "Querystring" checkbox in the editor: a builder ticks it on an API
workflow's parameter, saves, and the workflow then reads that parameter from the URL (a
value in the body is ignored). Custom events and triggers are not called with a URL: they
do not offer it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from workflows.definitions import workflow_definition
from workflows.models import Workflow

from .builder import Builder, open_editor

CHECK = "#wf-f-parameters-0-querystring"


def test_a_builder_ticks_querystring_and_the_workflow_reads_the_url(
    admin_page: Page, make_workflow, api, screenshot
) -> None:
    workflow = make_workflow(
        "shop",
        expose=True,
        auth="none",
        parameters=[{"key": "shop", "type": "text"}, {"key": "note", "type": "text"}],
        actions=[{"type": "return_data", "data": {"shop": "{{ params.shop }}"}}],
    )
    before = api.post("/api/1.1/wf/shop?shop=lyon", {"shop": "paris", "note": "n"}, format="json")
    assert before.json()["response"] == {"shop": "paris"}  # the body wins, as before

    page = admin_page
    open_editor(page, workflow)
    check = page.locator(CHECK)
    expect(check).not_to_be_checked()
    expect(page.locator(f"label[for='{CHECK[1:]}']")).to_have_text("querystring")
    Builder(page).click(CHECK)
    expect(check).to_be_checked()
    screenshot(page.locator(".wf-params"), "editor-parameter-querystring", full_page=False)
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was saved")

    saved = workflow_definition(Workflow.objects.get(pk=workflow.pk))
    assert saved["parameters"] == [
        {"key": "shop", "type": "text", "querystring": True},
        {"key": "note", "type": "text"},
    ]
    after = api.post("/api/1.1/wf/shop?shop=lyon", {"shop": "paris", "note": "n"}, format="json")
    assert after.json()["response"] == {"shop": "lyon"}  # from the URL; the body's is ignored
    missing = api.post("/api/1.1/wf/shop", {"shop": "paris", "note": "n"}, format="json").json()
    assert "read from the URL's query string" in missing["message"]

    # the editor shows it ticked when the workflow is opened again
    open_editor(page, Workflow.objects.get(pk=workflow.pk))
    expect(page.locator(CHECK)).to_be_checked()


def test_a_custom_event_does_not_offer_it(admin_page: Page, make_workflow) -> None:
    event = make_workflow("tell", kind="custom_event", parameters=[{"key": "to", "type": "text"}])
    open_editor(admin_page, event)
    expect(admin_page.locator("#wf-f-parameters-0-secret")).to_be_visible()
    expect(admin_page.locator(CHECK)).to_have_count(0)


def test_made_a_custom_event_a_ticked_box_stays_until_unticked(
    admin_page: Page, make_workflow, screenshot
) -> None:
    """The problem it then is points at a box the builder can still untick."""
    workflow = make_workflow(
        "tell", parameters=[{"key": "to", "type": "text", "querystring": True}]
    )
    page = admin_page
    open_editor(page, workflow)
    page.locator("#wf-f-kind").select_option("custom_event")
    expect(page.locator(CHECK)).to_be_checked()
    expect(page.locator("#wf-issues")).to_contain_text(
        "only an API workflow is called with a query string"
    )
    screenshot(page, "editor-querystring-on-a-custom-event")
    page.locator(CHECK).uncheck()
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was saved")
    saved = workflow_definition(Workflow.objects.get(pk=workflow.pk))
    assert (saved["kind"], saved["parameters"]) == ("custom_event", [{"key": "to", "type": "text"}])
    open_editor(page, Workflow.objects.get(pk=workflow.pk))
    expect(page.locator(CHECK)).to_have_count(0)


def test_detect_data_proposes_a_key_sent_in_the_url_as_querystring(
    admin_page: Page, make_workflow, api, screenshot
) -> None:
    from workflows import detect

    workflow = make_workflow("restock", expose=True, auth="none")
    detect.start(workflow, None)
    sent = api.post(
        "/api/1.1/wf/restock/initialize?shop=lyon", {"sku": "A-12", "count": 3}, format="json"
    )
    assert sent.status_code == 200
    page = admin_page
    page.goto(f"/admin/workflows/workflow/{workflow.pk}/detect/")
    expect(page.get_by_label("shop is read from the query string")).to_be_checked()
    expect(page.get_by_label("sku is read from the query string")).not_to_be_checked()
    screenshot(page.locator("#detect-form"), "detect-data-querystring", full_page=False)
    page.locator("#detect-accept").click()
    expect(page.locator(".messagelist")).to_contain_text("3 parameter(s) added")
    saved = workflow_definition(Workflow.objects.get(pk=workflow.pk))["parameters"]
    assert saved == [
        {"key": "sku", "type": "text"},
        {"key": "count", "type": "number"},
        {"key": "shop", "type": "text", "querystring": True},
    ]
