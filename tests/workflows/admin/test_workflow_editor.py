"""The workflow editor: listing, the change form, saving parameters and per-type actions."""

from __future__ import annotations

from django.contrib.staticfiles import finders

from examples.models import Order
from workflows import engine
from workflows.actions import registry
from workflows.admin import config_fields
from workflows.definitions import workflow_definition
from workflows.models import Action, Parameter, Workflow

from .conftest import ORDER_PARAM, append_row, errors, form_data, row_index

ADD_URL = "/admin/workflows/workflow/add/"


def test_changelist_lists_filters_and_searches(root_client, make_workflow):
    make_workflow("process-order", kind="api", expose=True, description="pays orders")
    make_workflow("order-summary", kind="custom_event")
    response = root_client.get("/admin/workflows/workflow/")
    assert response.status_code == 200
    assert b"process-order" in response.content and b"order-summary" in response.content

    filtered = root_client.get("/admin/workflows/workflow/", {"kind__exact": "custom_event"})
    assert b"order-summary" in filtered.content and b"process-order" not in filtered.content

    searched = root_client.get("/admin/workflows/workflow/", {"q": "pays"})
    assert b"process-order" in searched.content and b"order-summary" not in searched.content


def test_change_form_shows_every_action_type_and_the_stored_config(
    root_client, make_workflow, change_url
):
    wf = make_workflow(
        "process-order",
        expose=True,
        parameters=[ORDER_PARAM],
        actions=[
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid"},
            },
            {"type": "return_data", "data": {"order": "{{ params.order.id }}"}},
        ],
    )
    response = root_client.get(change_url(wf))
    assert response.status_code == 200
    html = response.content.decode()
    # the blank template row ("Add another") offers every type's fields...
    for action in registry.all_types():
        assert f"action-config--{action.name}" in html
        for f in action.fields:
            assert f"actions-__prefix__-cfg__{action.name}__{f.key}" in html
    # ...each saved action only its own type's (the editor's script copies others in)
    assert 'name="actions-0-cfg__make_changes__thing"' in html
    assert 'name="actions-0-cfg__return_data__data"' not in html
    assert 'name="actions-1-cfg__return_data__data"' in html
    assert 'name="actions-1-cfg__make_changes__thing"' not in html
    assert "workflows/workflow_editor.js" in html
    assert "Run now" in html

    actions = response.context["inline_admin_formsets"][1].formset.forms
    assert actions[0]["cfg__make_changes__changes"].value() == "status: paid"
    assert actions[0]["cfg__make_changes__thing"].value() == "{{ params.order }}"
    # a mapping in a VALUE field is edited as YAML lines in a textarea
    data_field = actions[1]["cfg__return_data__data"]
    assert data_field.value() == 'order: "{{ params.order.id }}"'
    assert "<textarea" in str(data_field)
    assert finders.find("workflows/workflow_editor.js")


def test_creating_a_workflow_with_parameters_and_actions_of_several_types(root_client, order):
    data = form_data(root_client.get(ADD_URL))
    data.update(name="process-order", kind="api", expose="on", auth="user", timeout="60")
    append_row(data, "parameters", key="order", type="thing", data_type="examples.Order")
    append_row(data, "parameters", key="note", type="text", optional="on", default='"none"')
    append_row(
        data,
        "actions",
        step_id="paid",
        type="make_changes",
        cfg__make_changes__thing="{{ params.order }}",
        cfg__make_changes__changes='status: paid\r\nnote: "{{ params.note }}"',
    )
    append_row(
        data,
        "actions",
        type="send_email",
        label="confirm",
        cfg__send_email__to="{{ params.order.customer.email }}",
        cfg__send_email__subject="Order {{ params.order.id }} confirmed",
        cfg__send_email__body="Thanks {{ params.order.customer.name }}!",
    )
    append_row(
        data,
        "actions",
        type="return_data",
        cfg__return_data__data='order: "{{ params.order.id }}"\nstatus: "{{ steps.paid.status }}"',
        # fields of other types are ignored
        cfg__log__message="not read",
    )
    response = root_client.post(ADD_URL, data)
    assert response.status_code == 302, errors(response)

    wf = Workflow.objects.get(name="process-order")
    assert (wf.kind, wf.expose, wf.timeout) == ("api", True, 60)
    params = list(wf.parameters.all())
    assert [(p.key, p.type, p.data_type, p.position) for p in params] == [
        ("order", "thing", "examples.Order", 1),
        ("note", "text", "", 2),
    ]
    assert params[1].optional and params[1].default == "none"
    actions = list(wf.actions.all())
    assert [(a.position, a.type, a.step_id, a.label) for a in actions] == [
        (1, "make_changes", "paid", ""),
        (2, "send_email", "", "confirm"),
        (3, "return_data", "", ""),
    ]
    assert actions[0].config == {
        "thing": "{{ params.order }}",
        "changes": {"status": "paid", "note": "{{ params.note }}"},
    }
    # empty optional fields (html, cc, reply_to) are left out
    assert actions[1].config == {
        "to": "{{ params.order.customer.email }}",
        "subject": "Order {{ params.order.id }} confirmed",
        "body": "Thanks {{ params.order.customer.name }}!",
    }
    assert actions[2].config == {
        "data": {"order": "{{ params.order.id }}", "status": "{{ steps.paid.status }}"}
    }

    # what the editor saved is a workflow that runs
    result = engine.run(wf, {"order": order.pk})
    assert result.ok, result.error
    assert result.response == {"order": order.pk, "status": "paid"}
    order.refresh_from_db()
    assert (order.status, order.note) == ("paid", "none")


def test_changing_an_actions_type_rebuilds_its_config(root_client, make_workflow, change_url):
    wf = make_workflow("wf", actions=[{"type": "log", "message": "hello", "level": "warning"}])
    revision = wf.revision
    data = form_data(root_client.get(change_url(wf)))
    i = row_index(data, "actions", "type", "log")
    data[f"actions-{i}-type"] = "return_data"
    data[f"actions-{i}-cfg__return_data__data"] = "{ok: true, n: 3}"
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)

    action = Action.objects.get(workflow=wf)
    assert action.type == "return_data"
    assert action.config == {"data": {"ok": True, "n": 3}}
    wf.refresh_from_db()
    assert wf.revision > revision


def test_an_untouched_action_keeps_its_config_exactly(root_client, make_workflow, change_url):
    config = {"method": "POST", "url": "https://example.com/x", "json": [1, "two"], "timeout": 5}
    wf = make_workflow("wf", actions=[{"id": "call", "type": "http_request", **config}])
    data = form_data(root_client.get(change_url(wf)))
    data["description"] = "changed"
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)
    assert Action.objects.get(workflow=wf).config == config
    assert Workflow.objects.get(pk=wf.pk).description == "changed"


def test_positions_follow_the_numbers_given_and_are_renumbered(
    root_client, make_workflow, change_url
):
    wf = make_workflow(
        "wf",
        actions=[
            {"id": "a", "type": "log", "message": "a"},
            {"id": "b", "type": "log", "message": "b"},
            {"id": "c", "type": "log", "message": "c"},
        ],
    )
    data = form_data(root_client.get(change_url(wf)))
    for step, position in (("a", "5"), ("b", "10"), ("c", "1")):
        data[f"actions-{row_index(data, 'actions', 'step_id', step)}-position"] = position
    # a new row with no position goes last
    append_row(data, "actions", step_id="d", type="log", cfg__log__message="d")
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)
    assert [(a.step_id, a.position) for a in wf.actions.all()] == [
        ("c", 1),
        ("a", 2),
        ("b", 3),
        ("d", 4),
    ]


def test_deleting_rows(root_client, make_workflow, change_url):
    wf = make_workflow(
        "wf",
        parameters=[{"key": "a", "type": "text"}, {"key": "b", "type": "text"}],
        actions=[
            {"id": "x", "type": "log", "message": "x"},
            {"id": "y", "type": "log", "message": "{{ params.b }}"},
        ],
    )
    data = form_data(root_client.get(change_url(wf)))
    data[f"parameters-{row_index(data, 'parameters', 'key', 'a')}-DELETE"] = "on"
    data[f"actions-{row_index(data, 'actions', 'step_id', 'x')}-DELETE"] = "on"
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)
    assert [(p.key, p.position) for p in wf.parameters.all()] == [("b", 1)]
    assert [(a.step_id, a.position) for a in wf.actions.all()] == [("y", 1)]


def test_trigger_settings_are_saved_for_triggers_and_cleared_for_other_kinds(
    root_client, change_url
):
    data = form_data(root_client.get(ADD_URL))
    data.update(name="on-paid", kind="trigger", data_type="examples.Order")
    data["trigger_on"] = ["create", "update"]
    data["only_when"] = "thing.status == 'paid'"
    append_row(data, "actions", type="log", cfg__log__message="paid {{ thing.id }}")
    response = root_client.post(ADD_URL, data)
    assert response.status_code == 302, errors(response)
    wf = Workflow.objects.get(name="on-paid")
    assert (wf.data_type, wf.trigger_on) == ("examples.Order", ["create", "update"])

    data = form_data(root_client.get(change_url(wf)))
    data.update(kind="api", only_when="")
    i = row_index(data, "actions", "type", "log")
    data[f"actions-{i}-cfg__log__message"] = "plain"
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)
    wf.refresh_from_db()
    assert (wf.kind, wf.data_type, wf.trigger_on) == ("api", "", [])


def test_a_trigger_without_a_data_type_is_refused_on_its_field(root_client):
    data = form_data(root_client.get(ADD_URL))
    data.update(name="on-paid", kind="trigger", data_type="")
    data["trigger_on"] = ["update"]
    response = root_client.post(ADD_URL, data)
    found = errors(response)
    assert "needs the data type" in found["workflow"]["data_type"][0]
    assert not Workflow.objects.exists()


def test_the_page_escapes_what_builders_wrote(root_client, make_workflow, change_url):
    wf = make_workflow(
        "wf",
        description="<script>alert(1)</script>",
        actions=[{"type": "log", "message": "<img src=x onerror=alert(2)>"}],
    )
    html = root_client.get(change_url(wf)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror=alert(2)>" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_the_saved_definition_round_trips(root_client, make_workflow, change_url, order):
    definition = {
        "name": "wf",
        "kind": "api",
        "expose": True,
        "auth": "none",
        "ignore_privacy": False,
        "condition_not_met": 200,
        "timeout": 30,
        "only_when": "params.order.total > 0",
        "parameters": [
            ORDER_PARAM,
            {"key": "tags", "type": "text", "list": True, "optional": True},
        ],
        "actions": [
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid"},
            },
            {"type": "log", "message": "tags: {{ params.tags }}", "only_when": "params.tags"},
            {"type": "return_data", "data": {"ok": True}},
        ],
    }
    wf = make_workflow(**definition)
    before = workflow_definition(wf)
    data = form_data(root_client.get(change_url(wf)))
    response = root_client.post(change_url(wf), data)
    assert response.status_code == 302, errors(response)
    assert workflow_definition(Workflow.objects.get(pk=wf.pk)) == before
    assert Order.objects.count() == 1
    assert Parameter.objects.filter(workflow=wf).count() == 2


def test_value_fields_show_scalars_so_that_they_read_back_the_same(
    root_client, make_workflow, change_url
):
    wf = make_workflow("wf", actions=[{"id": "b", "type": "delete_thing", "thing": "a: b"}])
    data = form_data(root_client.get(change_url(wf)))
    assert data[
        f"actions-{row_index(data, 'actions', 'step_id', 'b')}-cfg__delete_thing__thing"
    ] == ('{{ "a: b" }}')
    field = registry.get("http_request").field("json")  # a VALUE field
    values = [5, 2.5, True, False, "a: b", "plain", {"k": [1, "x"]}]
    texts = [config_fields.to_text(field, value) for value in values]
    probe = make_workflow(
        "probe",
        actions=[
            {
                "type": "return_data",
                "data": {str(i): config_fields.parse(field, text) for i, text in enumerate(texts)},
            }
        ],
    )
    assert engine.run(probe).response == {str(i): value for i, value in enumerate(values)}
