"""Return data's response type decides its fields: choosing text shows the text and its
media type and drops the JSON data (which the check would refuse), as Bubble's "Return data
from API" does."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from workflows.definitions import workflow_definition
from workflows.models import Workflow

from .builder import Builder


def test_choosing_text_shows_its_fields_and_saves_a_text_answer(admin_page: Page, transactional_db):
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_add"))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    b = Builder(page)
    b.fill("#wf-f-name", "export-csv")
    n = b.add_step("Return data")
    expect(page.locator(f"#{b.step_field(n, 'data')}-key-key")).to_have_count(0)
    b.click(page.locator(f"#wf-props-{n - 1}").get_by_role("button", name="+ Add a key"))
    b.fill(f"#{b.step_field(n, 'data')}-key-key", "ok")
    b.choose(f"#{b.step_field(n, 'response_type')}", "text")
    expect(page.locator(f"#{b.step_field(n, 'text')}")).to_be_visible()
    expect(page.get_by_role("button", name="+ Add a key")).to_have_count(0)
    b.type_into(b.step_field(n, "text"), "id,total")
    b.type_into(b.step_field(n, "content_type"), "text/csv")
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added")
    (step,) = workflow_definition(Workflow.objects.get(name="export-csv"))["actions"]
    assert step == {
        "type": "return_data",
        "response_type": "text",
        "text": "id,total",
        "content_type": "text/csv",
    }
