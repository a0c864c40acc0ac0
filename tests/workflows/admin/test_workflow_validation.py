"""The editor refuses what would not compile, on the field at fault, and saves nothing."""

from __future__ import annotations

import pytest

from workflows.definitions import workflow_definition
from workflows.models import Workflow

from .conftest import ORDER_PARAM, append_row, errors, form_data, row_index

ADD_URL = "/admin/workflows/workflow/add/"


@pytest.fixture
def wf(make_workflow) -> Workflow:
    return make_workflow(
        "process-order",
        parameters=[ORDER_PARAM, {"key": "note", "type": "text", "optional": True}],
        actions=[
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid"},
            },
            {"id": "hello", "type": "log", "message": "hello"},
            {"type": "return_data", "data": {"status": "{{ steps.paid.status }}"}},
        ],
    )


@pytest.fixture
def post(root_client, change_url, wf):
    """Post the change form of ``wf`` after ``edit(data)``; check nothing was saved."""

    def do(edit):
        before = (workflow_definition(wf), Workflow.objects.get(pk=wf.pk).revision)
        data = form_data(root_client.get(change_url(wf)))
        edit(data)
        response = root_client.post(change_url(wf), data)
        found = errors(response)
        fresh = Workflow.objects.get(pk=wf.pk)
        assert (workflow_definition(fresh), fresh.revision) == before
        return found

    return do


def action_row(data, step_id):
    return row_index(data, "actions", "step_id", step_id)


def test_an_unknown_parameter_in_the_workflows_only_when(post):
    found = post(lambda data: data.update(only_when="params.ordr > 1"))
    assert "unknown parameter 'ordr'" in found["workflow"]["only_when"][0]
    # the inline formset says why nothing was saved (the issue is on the main form)
    assert "not saved" in found["parameters-non-form"][0]


def test_a_syntax_error_in_an_actions_only_when(post):
    def edit(data):
        data[f"actions-{action_row(data, 'hello')}-only_when"] = "params.order.total >"

    found = post(edit)
    rows = found["actions"]
    assert "syntax error" in rows[1]["only_when"][0]
    assert rows[0] == {} and rows[2] == {}


def test_an_over_deep_expression_is_refused_on_its_field(post):
    """Chains of a few hundred filters crashed the save (Python's "too many nested
    parentheses" while compiling, or a RecursionError)."""

    def edit(data):
        data[f"actions-{action_row(data, 'hello')}-only_when"] = "params.order" + ".id" * 300

    found = post(edit)
    assert "too deeply nested" in found["actions"][1]["only_when"][0]


def test_an_unknown_step_in_a_config_field(post):
    def edit(data):
        i = row_index(data, "actions", "type", "return_data")
        data[f"actions-{i}-cfg__return_data__data"] = 'x: "{{ steps.nope.id }}"'

    found = post(edit)
    message = found["actions"][2]["cfg__return_data__data"][0]
    assert "unknown step 'nope'" in message


def test_a_step_used_before_it_runs_is_refused_where_it_is_used(post):
    """Positions decide the order: moving a step after its reader breaks the reader."""

    def edit(data):
        data[f"actions-{action_row(data, 'paid')}-position"] = "9"

    found = post(edit)
    message = found["actions"][2]["cfg__return_data__data"][0]
    assert "unknown step 'paid'" in message


def test_issue_indices_skip_deleted_rows(post):
    """With the first action deleted, definition index 1 is the third form on the page."""

    def edit(data):
        data[f"actions-{action_row(data, 'hello')}-DELETE"] = "on"
        data[f"actions-{action_row(data, 'hello')}-only_when"] = "this is ( broken"
        i = row_index(data, "actions", "type", "return_data")
        data[f"actions-{i}-cfg__return_data__data"] = 'x: "{{ steps.hello }}"'

    found = post(edit)
    rows = found["actions"]
    assert rows[1] == {}  # deleted: not judged
    assert "unknown step 'hello'" in rows[2]["cfg__return_data__data"][0]


def test_a_missing_required_config_key_and_a_wrong_parameter(post):
    def edit(data):
        append_row(
            data,
            "actions",
            type="send_email",
            cfg__send_email__to="a@example.com",
            cfg__send_email__body="hi",
        )
        i = row_index(data, "parameters", "key", "note")
        data[f"parameters-{i}-data_type"] = "examples.Order"

    found = post(edit)
    new_row = found["actions"][-1]
    assert new_row["cfg__send_email__subject"] == ["required by send_email"]
    assert "only parameters of type thing" in found["parameters"][1]["data_type"][0]


def test_an_unknown_field_of_the_data_type(post):
    def edit(data):
        i = action_row(data, "paid")
        data[f"actions-{i}-cfg__make_changes__changes"] = "stauts: paid"

    found = post(edit)
    assert "has no field 'stauts'" in found["actions"][0]["cfg__make_changes__changes"][0]


def test_bad_yaml_and_a_non_mapping_are_field_errors(post):
    def edit(data):
        i = action_row(data, "paid")
        data[f"actions-{i}-cfg__make_changes__changes"] = "status: {{ params.note }}"
        i = row_index(data, "actions", "type", "return_data")
        data[f"actions-{i}-cfg__return_data__data"] = "[1, 2"

    found = post(edit)
    changes = found["actions"][0]["cfg__make_changes__changes"][0]
    assert changes.startswith("Not valid YAML") and "in quotes" in changes
    assert found["actions"][2]["cfg__return_data__data"][0].startswith("Not valid YAML")


def test_a_mapping_field_must_be_a_mapping(post):
    def edit(data):
        data[f"actions-{action_row(data, 'paid')}-cfg__make_changes__changes"] = "- paid"

    found = post(edit)
    assert "a mapping" in found["actions"][0]["cfg__make_changes__changes"][0]


def test_a_number_field_takes_a_number_or_an_expression(post):
    def edit(data):
        append_row(
            data,
            "actions",
            type="http_request",
            cfg__http_request__url="https://example.com",
            cfg__http_request__timeout="soon",
        )

    found = post(edit)
    assert "number" in found["actions"][-1]["cfg__http_request__timeout"][0]


def test_a_duplicate_step_id_and_an_unknown_workflow(post):
    def edit(data):
        append_row(
            data,
            "actions",
            step_id="paid",
            type="trigger_custom_event",
            cfg__trigger_custom_event__workflow="no-such-workflow",
        )

    found = post(edit)
    new_row = found["actions"][-1]
    assert new_row["step_id"] == ["another step already has the id 'paid'"]
    assert new_row["cfg__trigger_custom_event__workflow"] == [
        "no workflow named 'no-such-workflow'"
    ]


def test_only_api_workflows_can_be_exposed(post):
    found = post(lambda data: data.update(kind="custom_event", expose="on"))
    assert "only API workflows can be exposed" in found["workflow"]["expose"][0]


def test_a_new_workflow_with_a_broken_action_is_not_created(root_client):
    data = form_data(root_client.get(ADD_URL))
    data.update(name="new-one", kind="api")
    append_row(data, "actions", type="log", cfg__log__message="{{ params.missing }}")
    response = root_client.post(ADD_URL, data)
    found = errors(response)
    assert "unknown parameter 'missing'" in found["actions"][-1]["cfg__log__message"][0]
    assert not Workflow.objects.filter(name="new-one").exists()
