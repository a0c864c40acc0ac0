"""Development and live as a builder works (docs/versions.md): edit in the editor, try it at
/version-test/, deploy with the page listing the change, roll back from the history."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from workflows.definitions import save_definition
from workflows.models import Version
from workflows.versions.deploy import deploy

from . import screens
from .builder import Builder, open_editor

GREET = {
    "name": "greet",
    "expose": True,
    "auth": "none",
    "actions": [{"type": "return_data", "data": {"word": "hello"}}],
}


def answer(page: Page, path: str) -> dict:
    response = page.request.post(path, data={})
    assert response.status == 200, response.text()
    return response.json()["response"]


def test_edit_try_deploy_and_roll_back(admin_page: Page, transactional_db):
    page = admin_page
    workflow, _ = save_definition(GREET)
    deploy(message="hello")

    # edit development in the editor: the answer gains a key
    open_editor(page, workflow)
    b = Builder(page)
    b.click("#wf-card-0")  # the step's properties
    b.click(page.locator("#wf-props-0").get_by_role("button", name="+ Add a key"))
    b.fill(f"#{b.step_field(1, 'data')}-key-key", "lang")
    b.type_into(b.step_field(1, "data.lang"), "fr")
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("Saved in development: try it at")

    # callers keep the live version; /version-test/ runs the edit
    assert answer(page, "/api/1.1/wf/greet") == {"word": "hello"}
    assert answer(page, "/version-test/api/1.1/wf/greet") == {"word": "hello", "lang": "fr"}

    # the Workflows list says it differs; deploy with the page listing the change
    page.goto(reverse("admin:workflows_workflow_changelist"))
    expect(page.get_by_role("link", name="differs from live")).to_be_visible()
    page.goto(reverse("admin:workflows_version_changelist"))
    b.click(page.get_by_role("link", name="Deploy to live…"))
    expect(page.locator("#version-changes")).to_contain_text("Workflow greet changed")
    b.click(page.locator("#version-changes summary").first)
    expect(page.locator("#version-changes .diff-added").first).to_contain_text("lang: fr")
    screens.save_screenshot(page.locator("#content"), "versions-deploy")
    b.fill("#deploy-message", "Greet in French too")
    b.click("#deploy-yes")
    expect(page.locator(".messagelist")).to_contain_text("Deployed version 2: it is live.")
    assert answer(page, "/api/1.1/wf/greet") == {"word": "hello", "lang": "fr"}

    # roll back: version 1's page deploys it again, as version 3
    first = Version.objects.get(number=1)
    page.goto(reverse("admin:workflows_version_change", args=[first.pk]))
    b.click("#redeploy-button")
    expect(page.locator(".messagelist")).to_contain_text(
        "Deployed version 1 again as version 3: it is live."
    )
    assert answer(page, "/api/1.1/wf/greet") == {"word": "hello"}
    page.goto(reverse("admin:workflows_version_changelist"))
    expect(page.locator("#result_list")).to_contain_text("(version 1 again)")
    screens.save_screenshot(page.locator("#content"), "versions-list")
