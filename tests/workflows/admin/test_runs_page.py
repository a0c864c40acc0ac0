"""A run's page: what matters first, values not JSON, failed and skipped steps marked,
linked runs as links, everything escaped."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from workflows.admin.display import FOLD_CHARS, MAX_ROWS
from workflows.choices import RunSource, RunStatus, StepStatus
from workflows.masking import MASK
from workflows.models import Run


@pytest.fixture
def wf(make_workflow):
    return make_workflow("process-order", actions=[{"type": "log", "message": "x"}])


def page(client: Client, run: Run) -> str:
    response = client.get(f"/admin/workflows/run/{run.pk}/change/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's text, tags removed and spaces collapsed (what a reader sees)."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_opens_on_status_workflow_user_source_and_time(root_client, wf, user, make_run):
    run = make_run(wf, actor=user, source=RunSource.API, duration_ms=42.5)
    html = page(root_client, run)
    content = html.split('id="content-main"', 1)[1]
    assert (
        content.index('id="run-status"')
        < content.index('id="run-facts"')
        < content.index('id="run-params"')
        < content.index('id="run-steps"')
    )
    facts = text_of(content.split('id="run-facts"', 1)[1].split("</table>", 1)[0])
    assert "Workflow process-order (revision" in facts
    assert "Ran as alice <alice@example.com>" in facts
    assert "Started by an API call" in facts
    assert "Duration 42.50 ms" in facts
    assert f'href="/admin/workflows/workflow/{wf.pk}/change/"' in html
    assert f'href="/admin/auth/user/{user.pk}/change/"' in html
    assert "✓ Succeeded" in html


def test_anonymous_and_a_deleted_workflow_read_as_such(root_client, make_run):
    run = make_run(workflow_name="gone-workflow", source=RunSource.SCHEDULED)
    facts = text_of(page(root_client, run).split('id="run-facts"', 1)[1].split("</table>", 1)[0])
    assert "gone-workflow (deleted)" in facts
    assert "Ran as anonymous (nobody logged in)" in facts
    assert "Started by the scheduler" in facts


def test_a_failed_run_shows_its_error_first_naming_the_step(root_client, wf, make_run):
    run = make_run(
        wf,
        status=RunStatus.FAILED,
        error_code="ACTION_FAILED",
        error_message="step 2 (charge): the gateway answered 502",
        steps=[
            {"step_id": "load", "output": {"ok": True}},
            {
                "step_id": "charge",
                "action_type": "http_request",
                "status": StepStatus.FAILED,
                "error": "the gateway answered 502",
            },
            {"step_id": "notify", "status": StepStatus.NOT_RUN},
        ],
    )
    html = page(root_client, run)
    content = html.split('id="content-main"', 1)[1]
    assert content.index('id="run-error"') < content.index('id="run-facts"')
    error = text_of(content.split('id="run-error"', 1)[1].split("</div>", 1)[0])
    assert "Why it failed" in error
    assert "At step 2, charge (http_request) : ACTION_FAILED" in error  # the step is a link
    assert "the gateway answered 502" in error
    assert 'href="#step-2"' in content and 'id="step-2"' in content
    # failed and not-run steps stand out, in words too
    assert 'class="run-step run-step-failed" id="step-2"' in html
    assert 'class="run-step run-step-not-run" id="step-3"' in html
    assert "✗ Failed" in html and "Not run: an earlier step ended the run" in html


def test_an_error_before_any_step_names_the_parameter(root_client, wf, make_run):
    run = make_run(
        wf,
        status=RunStatus.FAILED,
        error_code="INVALID_PARAMETER",
        error_message="parameter 'n' must be a number",
        error_parameter="n",
    )
    error = text_of(page(root_client, run).split('id="run-error"', 1)[1].split("</div>", 1)[0])
    assert "Parameter “n”: INVALID_PARAMETER" in error


def test_a_skipped_step_shows_its_condition(root_client, wf, make_run):
    run = make_run(
        wf,
        steps=[
            {"step_id": "maybe", "status": StepStatus.SKIPPED, "condition_result": False},
            {"step_id": "always", "condition_result": True, "output": {"done": True}},
        ],
    )
    html = page(root_client, run)
    step1 = text_of(html.split('id="step-1"', 1)[1].split("</li>", 1)[0])
    assert "Skipped: its “only when” was false" in step1
    assert "“only when” was false" in step1
    assert 'class="run-step run-step-skipped" id="step-1"' in html
    step2 = text_of(html.split('id="step-2"', 1)[1].split("</li>", 1)[0])
    assert "“only when” was true" in step2


def test_values_read_as_values_with_the_raw_json_one_click_away(root_client, wf, make_run):
    long_text = "line one\nline two\n" + "y" * (FOLD_CHARS + 10)
    run = make_run(
        wf,
        params={
            "note": "first line\nsecond line",
            "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
            "tags": ["red", "green"],
            "flag": True,
            "nothing": None,
            "token": MASK,
            "body": long_text,
        },
        steps=[{"step_id": "s", "inputs": {"url": "https://example.com/x"}, "output": {"n": 1}}],
    )
    html = page(root_client, run)
    params = html.split('id="run-params"', 1)[1].split('id="run-steps"', 1)[0]
    # text keeps its lines (no "\n" escapes), lists are tables, objects tables of keys
    assert "first line\nsecond line" in params
    assert "\\n" not in params.split("Raw JSON", 1)[0]
    assert (
        '<table class="wf-list"><thead><tr><th scope="col">#</th><th scope="col">sku</th>' in params
    )
    assert "<td>A-1</td>" in text_of(params) or ">A-1<" in params
    assert '<th scope="col">value</th>' in params and ">green<" in params
    assert ">yes<" in params
    assert "secret, hidden" in params and MASK not in params.split("Raw JSON", 1)[0]
    # long text is folded: its first line in the summary, all of it inside
    assert '<details class="wf-fold"><summary><span class="wf-text">line one</span>' in params
    # the raw JSON, folded
    assert '<details class="run-raw"><summary>Raw JSON</summary><pre class="wf-json">' in params
    assert "&quot;sku&quot;: &quot;A-1&quot;" in params
    assert 'id="step-1"' in html and "Raw JSON" in html.split('id="step-1"', 1)[1]


def test_a_long_list_shows_its_first_rows_and_says_how_many_more(root_client, wf, make_run):
    run = make_run(wf, params={"ids": list(range(MAX_ROWS + 7))})
    html = page(root_client, run)
    assert "… and 7 more (see the raw JSON)" in html


def test_a_thing_links_to_its_admin_page_when_the_viewer_may_open_it(
    root_client, staff_user, wf, make_run, order
):
    reference = {"_type": "examples.Order", "_id": order.pk, "_display": "Order of Ann"}
    run = make_run(wf, params={"order": reference}, steps=[{"step_id": "s", "output": [reference]}])
    html = page(root_client, run)
    link = f'<a class="wf-thing" href="/admin/examples/order/{order.pk}/change/">Order of Ann</a>'
    assert link in html
    assert html.count(link) == 2  # the parameter, and the step's output (a list of things)
    # a staff user who may read runs but not orders sees its type and id, not its name
    # (nor in the raw JSON), and no link
    staff_user.user_permissions.add(Permission.objects.get(codename="view_run"))
    client = Client()
    client.force_login(staff_user)
    html = page(client, run)
    assert "Order of Ann" not in html and "/admin/examples/order/" not in html
    assert html.count(f'<span class="wf-thing">examples.Order {order.pk} ') == 2
    assert "_display" not in html and "&quot;_type&quot;: &quot;examples.Order&quot;" in html
    # ... and the link once allowed
    staff_user.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(type(staff_user).objects.get(pk=staff_user.pk))
    assert link in page(client, run)


def test_a_thing_of_an_unknown_type_is_text(root_client, wf, make_run):
    run = make_run(wf, params={"x": {"_type": "gone.Thing", "_id": 3, "_display": "Old thing"}})
    html = page(root_client, run)
    assert '<span class="wf-thing">Old thing <span class="wf-type">gone.Thing</span></span>' in html


def test_files_link_only_to_web_addresses(root_client, wf, make_run):
    good = {
        "url": "https://files.example.com/a.pdf",
        "name": "a.pdf",
        "size": 2048,
        "content_type": "application/pdf",
    }
    bad = {"url": "javascript:alert(1)", "name": "evil", "size": None, "content_type": None}
    run = make_run(wf, params={"good": good, "bad": bad})
    html = page(root_client, run)
    assert 'href="https://files.example.com/a.pdf"' in html and "(2,048 bytes)" in html
    assert 'href="javascript:' not in html and '<span class="wf-file">evil</span>' in html


def test_user_data_is_escaped_everywhere(root_client, wf, make_run):
    run = make_run(
        wf,
        params={"note": "<script>alert('p')</script>", "<b>key</b>": 1},
        status=RunStatus.FAILED,
        error_code="ACTION_FAILED",
        error_message="<img src=x onerror=alert(1)>",
        steps=[
            {
                "step_id": "<i>s</i>",
                "status": StepStatus.FAILED,
                "error": "<b>bad</b>",
                "inputs": {"html": "<b>bold</b>"},
                "output": {"_type": "<x>", "_id": "<y>", "_display": "<z>"},
            }
        ],
    )
    html = page(root_client, run)
    for raw in (
        "<script>alert",
        "<b>bold</b>",
        "<img src=x",
        "<b>bad</b>",
        "<i>s</i>",
        "<b>key</b>",
        "<z>",
    ):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(&#x27;p&#x27;)&lt;/script&gt;" in html


def test_linked_runs_are_links(root_client, wf, make_run):
    parent = make_run(wf, source=RunSource.API)
    run = make_run(wf, parent=parent)
    child = make_run(wf, parent=run, source=RunSource.CUSTOM_EVENT)
    again = make_run(wf, rerun_of=run, source=RunSource.ADMIN)
    html = page(root_client, run)
    links = html.split('id="run-links"', 1)[1].split("</div>", 1)[0]
    for other in (parent, child, again):
        assert f'href="/admin/workflows/run/{other.pk}/change/"' in links
    assert "Runs it started" in links and "Re-runs" in links and "Started by the run" in links
    assert text_of(links).count("Succeeded") == 3  # each linked run's status said once
    html = page(root_client, again)
    assert "Re-run of" in html and f"/admin/workflows/run/{run.pk}/change/" in html
    assert "Started by the admin (Run now or Re-run): a re-run" in text_of(html)


def test_the_scheduler_links_its_runs(root_client, wf, make_run):
    """``RUN_LINKS`` (filled by the scheduler): the scheduled run a run executed."""
    from scheduler.models import ScheduledRun

    run = make_run(wf, source=RunSource.SCHEDULED)
    row = ScheduledRun.objects.create(
        workflow=wf, status="succeeded", run=run, params={}, due_at=run.started_at
    )
    html = page(root_client, run)
    links = html.split('id="run-links"', 1)[1].split("</div>", 1)[0]
    assert f"/admin/scheduler/scheduledrun/{row.pk}/change/" in links


def test_a_missing_run_is_404(root_client):
    assert root_client.get("/admin/workflows/run/not-a-uuid/change/").status_code == 404
    missing = "/admin/workflows/run/00000000-0000-0000-0000-000000000000/change/"
    assert root_client.get(missing).status_code == 404
