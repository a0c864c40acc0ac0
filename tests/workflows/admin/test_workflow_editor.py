"""The workflow editor's server side: the page and what it is given, saving a whole
definition (refused whole, with every problem, or saved with its audit record), the live
check, the test run that changes nothing, and the search of things by name."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail

from examples.models import Customer, Order
from workflows.models import Run, Workflow

from .conftest import ORDER_PARAM, edited, editor_data, send_definition

ADD_URL = "/admin/workflows/workflow/add/"
CHECK = "/admin/workflows/workflow/editor/check/"
TEST_RUN = "/admin/workflows/workflow/editor/test-run/"
THINGS = "/admin/workflows/workflow/editor/things/"

PROCESS = {
    "name": "process",
    "kind": "api",
    "expose": True,
    "auth": "user",
    "parameters": [ORDER_PARAM],
    "actions": [
        {
            "id": "paid",
            "type": "make_changes",
            "thing": "{{ params.order }}",
            "changes": {"status": "paid"},
        },
        {
            "type": "send_email",
            "to": "{{ params.order.customer.email }}",
            "subject": "Order {{ params.order.id }} paid",
            "body": "Thanks",
        },
        {"type": "return_data", "data": {"status": "{{ steps.paid.status }}"}},
    ],
}


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def wf(make_workflow) -> Workflow:
    return make_workflow(**PROCESS)


# --- the page -------------------------------------------------------------------------------


def test_the_page_gives_the_editor_the_definition_and_the_catalog(root_client, wf, change_url):
    response = root_client.get(change_url(wf))
    data = editor_data(response)
    assert data["definition"]["name"] == "process"
    assert [a["type"] for a in data["definition"]["actions"]] == [
        "make_changes",
        "send_email",
        "return_data",
    ]
    catalog = data["catalog"]
    assert [f["label"] for f in catalog["families"]][:4] == [
        "Account",  # first, as in Bubble's menu
        "Data (Things)",
        "Email",
        "Custom events",
    ]
    make_changes = next(a for a in catalog["actions"] if a["name"] == "make_changes")
    changes = next(f for f in make_changes["fields"] if f["key"] == "changes")
    assert changes["keys_of"] == "fields_of:thing"
    status = next(
        f for f in catalog["data_types"]["examples.Order"]["fields"] if f["name"] == "status"
    )
    assert status["kind"] == "text" and {c["value"] for c in status["choices"]} >= {"new", "paid"}
    html = response.content.decode()
    assert "workflows/editor/editor.js" in html and "workflows/vendor/editor-libs.js" in html
    assert "Run now" in html and "Definition history" in html
    # without its script the page still edits: the definition as YAML text
    assert 'name="definition_text"' in html and "name: process" in html


def test_a_blank_workflow_to_start_from(root_client):
    data = editor_data(root_client.get(ADD_URL))
    assert data["definition"]["actions"] == [] and data["can_save"] is True


def test_the_page_escapes_what_builders_wrote(root_client, make_workflow, change_url):
    wf = make_workflow("xss", description="</script><script>alert(1)</script>")
    html = root_client.get(change_url(wf)).content.decode()
    assert "<script>alert(1)</script>" not in html


# --- saving ---------------------------------------------------------------------------------


def test_a_new_workflow_is_saved_whole(root_client, order):
    response = send_definition(root_client, ADD_URL, PROCESS)
    assert response.status_code == 302 and response["Location"] == "/admin/workflows/workflow/"
    wf = Workflow.objects.get(name="process")
    from workflows.definitions import normalized, workflow_definition

    assert normalized(workflow_definition(wf)) == normalized(PROCESS)
    assert LogEntry.objects.get().object_id == str(wf.pk)


def test_save_and_continue_comes_back_to_the_editor(root_client):
    response = send_definition(root_client, ADD_URL, PROCESS, button="_continue")
    wf = Workflow.objects.get(name="process")
    assert response["Location"] == f"/admin/workflows/workflow/{wf.pk}/change/"


def test_a_definition_with_problems_is_refused_whole_listing_them(root_client, wf, change_url):
    definition = edited(root_client, change_url(wf))
    definition["actions"][1]["to"] = "{{ params.ordr.customer.email }}"
    definition["actions"].append({"type": "create_thing", "data_type": "examples.Nope"})
    response = send_definition(root_client, change_url(wf), definition)
    issues = editor_data(response)["issues"]
    assert [(i["step"], i["field"]) for i in issues] == [(2, "to"), (4, "data_type")]
    assert "unknown parameter 'ordr'" in issues[0]["message"]
    assert editor_data(response)["definition"] == definition  # the edits are kept
    assert Workflow.objects.get(pk=wf.pk).actions.count() == 3  # nothing written
    assert "2 problems" in response.content.decode()


def test_a_rename_keeps_the_workflow_and_its_runs(root_client, wf, change_url, user, order):
    from workflows import engine

    run = engine.run(wf, {"order": order.pk}, user).run
    definition = edited(root_client, change_url(wf))
    definition["name"] = "process-order-renamed"
    assert send_definition(root_client, change_url(wf), definition).status_code == 302
    renamed = Workflow.objects.get(pk=wf.pk)
    assert renamed.name == "process-order-renamed"
    assert Run.objects.get(pk=run.pk).workflow_id == wf.pk


def test_a_name_taken_by_another_workflow_is_refused(root_client, wf, make_workflow, change_url):
    make_workflow("other")
    definition = edited(root_client, change_url(wf))
    definition["name"] = "other"
    issues = editor_data(send_definition(root_client, change_url(wf), definition))["issues"]
    assert issues[0]["field"] == "name" and "already named 'other'" in issues[0]["message"]


def test_the_text_view_saves_without_the_script(root_client, wf, change_url):
    text = editor_data(root_client.get(change_url(wf)))
    yaml_text = root_client.get(change_url(wf)).context["definition_text"]
    assert text and "name: process" in yaml_text
    changed = yaml_text.replace("subject: Order {{ params.order.id }} paid", 'subject: "Paid"')
    changed = changed.replace('subject: "Order {{ params.order.id }} paid"', 'subject: "Paid"')
    response = root_client.post(change_url(wf), {"definition_text": changed, "mode": "text"})
    assert response.status_code == 302
    assert Workflow.objects.get(pk=wf.pk).actions.get(type="send_email").config["subject"] == "Paid"


def test_broken_text_is_a_problem_not_a_crash(root_client, wf, change_url):
    response = root_client.post(change_url(wf), {"definition_text": "name: [", "mode": "text"})
    assert "not valid YAML" in editor_data(response)["issues"][0]["message"]


def test_saving_shows_the_advice_on_sqlite(root_client, settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the advice is about SQLite's database-wide write lock")
    definition = {
        "name": "pay",
        "actions": [
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "A", "email": "a@b.co"},
            },
            {"type": "http_request", "url": "https://api.example.com/pay"},
        ],
    }
    response = send_definition(root_client, ADD_URL, definition, button="_continue")
    page = root_client.get(response["Location"])
    assert any("waits for another server" in str(m) for m in page.context["messages"])


# --- the live check -------------------------------------------------------------------------


def test_the_check_lists_every_problem_with_its_step_and_field(root_client):
    definition = json.loads(json.dumps(PROCESS))
    definition["only_when"] = "params.order.total >"
    definition["actions"][2]["data"]["status"] = "{{ steps.nope.status }}"
    answer = post_json(root_client, CHECK, {"definition": definition}).json()
    where = [(i["step"], i["field"]) for i in answer["issues"]]
    assert where == [(None, "only_when"), (3, "data")]
    assert "the expression ends too early" in answer["issues"][0]["message"]
    assert "end of template" not in json.dumps(answer["issues"])  # no template-engine jargon


def test_an_over_deep_expression_is_a_problem_on_its_field_not_a_crash(root_client):
    """Chains of a few hundred filters crashed the save (Python's "too many nested
    parentheses" while compiling, or a RecursionError); the check and the save list it."""
    definition = json.loads(json.dumps(PROCESS))
    definition["actions"][1]["only_when"] = "params.order" + ".id" * 300
    answer = post_json(root_client, CHECK, {"definition": definition}).json()
    (issue,) = answer["issues"]
    assert (issue["step"], issue["field"]) == (2, "only_when")
    assert "too deeply nested" in issue["message"]
    response = send_definition(root_client, ADD_URL, definition)
    assert response.status_code == 200  # refused, shown again with the problem
    assert any("too deeply nested" in i["message"] for i in editor_data(response)["issues"])
    assert not Workflow.objects.filter(name=definition["name"]).exists()


def test_the_check_summarises_each_step_and_says_what_is_in_scope(root_client):
    answer = post_json(root_client, CHECK, {"definition": PROCESS}).json()
    assert answer["steps"][0]["summary"] == "Make changes to params.order: status = paid"
    assert answer["steps"][0]["result"]["data_type"] == "examples.Order"
    at_step_3 = {e["expression"]: e for e in answer["scopes"][2]}
    assert at_step_3["params.order"]["type"]["data_type"] == "examples.Order"
    assert at_step_3["steps.paid"]["label"] == "Result of step 1 (paid)"
    assert at_step_3["steps[2]"]["type"]["keys"].keys() == {
        "to",
        "cc",
        "bcc",
        "subject",
        "attachments",
    }
    assert "now" in at_step_3 and "current_user" in at_step_3
    assert "name: process" in answer["text"]  # the definition view follows


def test_the_check_reads_the_definition_view(root_client):
    answer = post_json(root_client, CHECK, {"text": "name: from-text\nactions: []\n"}).json()
    assert answer["definition"]["name"] == "from-text" and answer["issues"] == []


def test_the_check_shows_a_schedules_next_runs(root_client):
    definition = {"name": "daily", "schedule": {"cron": "0 9 * * 1"}}
    answer = post_json(root_client, CHECK, {"definition": definition}).json()
    assert len(answer["schedule"]["next"]) == 5
    bad = post_json(root_client, CHECK, {"definition": {"name": "x", "schedule": {"cron": "0 9"}}})
    assert "neither" in bad.json()["schedule"]["error"]


def test_the_check_needs_a_login(client, db):
    assert post_json(client, CHECK, {"definition": PROCESS}).status_code == 302


# --- the test run ---------------------------------------------------------------------------


def test_a_test_run_changes_nothing_and_sends_nothing(root_client, order):
    runs_before = Run.objects.count()
    answer = post_json(
        root_client, TEST_RUN, {"definition": PROCESS, "params": {"order": order.pk}}
    ).json()
    assert answer["status"] == "succeeded", answer
    assert answer["response"] == {"status": "paid"}
    first = answer["steps"][0]
    assert (
        first["number"] == 1
        and first["inputs"]["thing"]["_url"] == f"/admin/examples/order/{order.pk}/change/"
    )
    assert (
        answer["outbox"]["emails"][0]["to"] == ["ann@example.com"] and not answer["outbox"]["sent"]
    )
    order.refresh_from_db()
    assert order.status == "new"  # rolled back
    assert mail.outbox == [] and Run.objects.count() == runs_before


def test_a_test_run_really_sends_when_asked(root_client, order):
    body = {"definition": PROCESS, "params": {"order": order.pk}, "send": True}
    answer = post_json(root_client, TEST_RUN, body).json()
    assert answer["outbox"]["sent"] and len(mail.outbox) == 1
    order.refresh_from_db()
    assert order.status == "new"  # the data is still not changed


def test_a_test_run_records_calls_to_other_servers_without_making_them(root_client):
    definition = {
        "name": "call",
        "actions": [
            {
                "id": "call",
                "type": "http_request",
                "url": "https://api.example.com/x?a=1",
                "headers": {"Authorization": "Bearer s3cr3t-token-1"},
            },
            {"type": "return_data", "data": {"status": "{{ steps.call.status }}"}},
        ],
    }
    answer = post_json(root_client, TEST_RUN, {"definition": definition}).json()
    assert answer["status"] == "succeeded"
    request = answer["outbox"]["requests"][0]
    assert (
        request["url"] == "https://api.example.com/x?a=1"
        and request["headers"]["Authorization"] == "********"
    )
    assert answer["response"] == {"status": None}


def test_a_test_run_reports_refused_parameters_and_problems(root_client):
    refused = post_json(
        root_client, TEST_RUN, {"definition": PROCESS, "params": {"order": 999}}
    ).json()
    assert refused["status"] == "refused" and refused["error"]["parameter"] == "order"
    broken = post_json(
        root_client, TEST_RUN, {"definition": {"name": "x", "only_when": "a >"}}
    ).json()
    assert broken["status"] == "invalid" and broken["issues"]


def test_a_trigger_is_test_run_on_the_things_picked(root_client, order):
    trigger = {
        "name": "on-order",
        "kind": "trigger",
        "data_type": "examples.Order",
        "on": ["create", "update"],
        "only_when": "thing_before is none",
        "actions": [{"type": "log", "message": "order {{ thing.id }} is {{ thing.status }}"}],
    }

    def test_run(things):
        return post_json(root_client, TEST_RUN, {"definition": trigger, "things": things}).json()

    created = test_run({"thing": order.pk})  # as if just created: no thing_before
    assert created["status"] == "succeeded", created
    assert created["steps"][0]["output"] == f"order {order.pk} is new"
    assert test_run({"thing": order.pk, "thing_before": order.pk})["status"] == "condition_not_met"
    missing = test_run({"thing": 999})
    assert missing["status"] == "refused" and missing["error"]["parameter"] == "thing"
    assert test_run({"thing_before": "x"})["error"]["parameter"] == "thing_before"


def test_a_test_run_needs_the_run_permission(staff_user, client):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(Permission.objects.get(codename="change_workflow"))
    client.force_login(staff_user)
    assert post_json(client, TEST_RUN, {"definition": PROCESS}).status_code == 403


# --- things by name, for the test run's parameters -----------------------------------------


def test_things_are_found_by_name_or_id(root_client, customer):
    order = Order.objects.create(customer=customer, total=Decimal("3"))
    by_id = root_client.get(THINGS, {"data_type": "examples.Order", "q": str(order.pk)}).json()
    assert {"id": order.pk, "label": f"Order #{order.pk}"} in by_id["results"]
    Customer.objects.create(name="Bob Other", email="bob@example.com")
    by_name = root_client.get(THINGS, {"data_type": "examples.Customer", "q": "bob"}).json()
    assert [r["label"] for r in by_name["results"]] == ["Bob Other"]
    unknown = root_client.get(THINGS, {"data_type": "nope.Nope", "q": "x"})
    assert unknown.status_code == 400


def test_a_thing_without_a_name_is_found_as_it_is_shown(root_client, customer):
    """An order is shown as ``Order #12``: typed that way, as ``#12``, or as ``Order`` (all
    of them), it is found; another order's number finds only that one."""
    first, second = (Order.objects.create(customer=customer, total=Decimal(t)) for t in "12")

    def found(q: str) -> list[int]:
        answer = root_client.get(THINGS, {"data_type": "examples.Order", "q": q}).json()
        return [r["id"] for r in answer["results"]]

    assert found(f"Order #{first.pk}") == [first.pk]
    assert found(f"#{second.pk}") == [second.pk]
    assert found(f"order # {second.pk}") == [second.pk]
    assert found("Order") == found("") == [second.pk, first.pk]
    assert found("Orders") == [second.pk, first.pk]
    assert found("Ann") == []  # a word it is not shown by finds nothing
    assert found("#nope") == []


def test_the_page_preloads_every_module_of_the_editor(root_client):
    """editor.js imports modules in chains; the page fetches them all at once
    (``EDITOR_MODULES``): a new module left out would be fetched a round trip later."""
    from pathlib import Path

    from workflows.admin.editor import EDITOR_MODULES

    folder = Path(__file__).resolve().parents[3] / "workflows" / "static" / "workflows" / "editor"
    modules = {f"workflows/editor/{p.name}" for p in folder.glob("*.js")} - {
        "workflows/editor/editor.js"
    }
    assert set(EDITOR_MODULES) == modules
    html = root_client.get(ADD_URL).content.decode()
    assert html.count('rel="modulepreload"') == len(modules)
