"""The editor's "Insert dynamic data" knows a data type defined without code as soon as it
exists: a ``Lead`` parameter opens into its fields (email, score, stage...), an option
field into its display, attributes and "is <option>" comparisons."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows.definitions import workflow_definition
from workflows.models import Workflow

from .builder import Builder, open_editor


def test_a_lead_parameter_opens_into_the_new_type_s_fields(
    admin_page: Page,
    lead_type,  # noqa: F811 - made through the schema service, before the page opens
    make_workflow,
    screenshot,
) -> None:
    workflow = make_workflow(
        "greet-lead",
        parameters=[{"key": "lead", "type": "thing", "data_type": "Lead"}],
        actions=[{"type": "return_data", "data": {"stage": "", "won": ""}}],
    )
    page = admin_page
    open_editor(page, workflow)
    page.locator("#wf-card-0").click()
    expect(page.locator("#wf-props-0")).to_be_visible()

    b = Builder(page)
    field = b.step_field(1, "data.stage")
    page.locator(f"#{field}").click()
    b.click(f"#{field}-insert")
    picker = page.locator(".wf-picker")
    lead = picker.locator(".wf-picker-option").filter(
        has=page.locator(".wf-picker-label").get_by_text("lead", exact=True)
    )
    expect(lead.locator(".wf-picker-kind")).to_have_text("Lead")
    b.click(lead.locator(".wf-picker-open"))
    expect(picker.locator(".wf-picker-title")).to_have_text("lead")
    labels = picker.locator(".wf-picker-label")
    for name in ("email", "phone", "score", "owner", "tags", "stage", "Created Date"):
        expect(labels.get_by_text(name, exact=True)).to_be_visible()
    stage = picker.locator(".wf-picker-option").filter(
        has=page.locator(".wf-picker-label").get_by_text("stage", exact=True)
    )
    expect(stage.locator(".wf-picker-kind")).to_have_text("Stage option")
    expect(stage.locator(".wf-picker-expr")).to_have_text("params.lead.stage")
    screenshot(page, "editor-picker-lead-fields", full_page=False)

    # an option opens into its display and attributes, and a comparison per option
    b.click(stage.locator(".wf-picker-open"))
    expect(picker.locator(".wf-picker-title")).to_have_text("stage")
    for name in ("display", "attributes", "is empty", "is New", "is Won", "is Lost"):
        expect(labels.get_by_text(name, exact=True)).to_be_visible()
    screenshot(page, "editor-picker-lead-stage", full_page=False)
    b.click(
        picker.locator(".wf-picker-option").filter(
            has=page.locator(".wf-picker-label").get_by_text("display", exact=True)
        )
    )
    expect(picker).to_have_count(0)
    expect(page.locator(f"#{field}")).to_have_text("{{ params.lead.stage.display }}")

    # and the comparison, picked the same way
    b.insert(b.step_field(1, "data.won"), "lead", "stage", "is Won")
    expect(page.locator(f"#{b.step_field(1, 'data.won')}")).to_have_text(
        "{{ params.lead.stage == 'Won' }}"
    )
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was saved")
    (step,) = workflow_definition(Workflow.objects.get(name="greet-lead"))["actions"]
    assert step["data"] == {
        "stage": "{{ params.lead.stage.display }}",
        "won": "{{ params.lead.stage == 'Won' }}",
    }
