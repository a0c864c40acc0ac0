"""A step refused because of what the caller sent is the caller's 4xx naming the
parameter; a refusal of the workflow's own values stays the workflow's 500."""

from __future__ import annotations

import pytest

from examples.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(make_workflow):
    return make_workflow(
        "register",
        expose=True,
        auth="none",
        parameters=[
            {"key": "name", "type": "text"},
            {"key": "first", "type": "text", "optional": True},
            {"key": "last", "type": "text", "optional": True},
        ],
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "{{ params.name }}", "email": "a@example.com"},
            }
        ],
    )


def test_an_empty_parameter_refused_by_a_required_field_is_a_400_naming_it(register, call):
    """The only 5xx the schema fuzzer found: 500 WORKFLOW_ERROR "This field cannot be blank"."""
    response = call("register", {"name": ""})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "INVALID_PARAMETER" and body["parameter"] == "name"
    assert "name: This field cannot be blank" in body["message"]
    assert "the value of parameter 'name'" in body["message"]
    assert not Customer.objects.exists()


def test_a_value_computed_from_a_parameter_is_the_callers_too(make_workflow, call):
    make_workflow(
        "trimmed",
        expose=True,
        auth="none",
        parameters=[{"key": "name", "type": "text"}],
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "{{ params.name|trim }}", "email": "a@example.com"},
            }
        ],
    )
    response = call("trimmed", {"name": "   "})
    assert response.status_code == 400
    assert response.json()["parameter"] == "name"


def test_a_value_from_several_parameters_is_a_400_without_naming_one(make_workflow, call):
    make_workflow(
        "joined",
        expose=True,
        auth="none",
        parameters=[
            {"key": "first", "type": "text", "optional": True},
            {"key": "last", "type": "text", "optional": True},
        ],
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {
                    "name": "{{ params.first }}{{ params.last }}",
                    "email": "a@example.com",
                },
            }
        ],
    )
    response = call("joined", {})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_DATA" and "parameter" not in body
    assert "name: This field cannot be blank" in body["message"]


def test_the_workflows_own_value_refused_is_still_a_server_side_error(make_workflow, call):
    make_workflow(
        "broken",
        expose=True,
        auth="none",
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "", "email": "a@example.com"},
            }
        ],
    )
    response = call("broken", {})
    assert response.status_code == 500
    assert response.json()["code"] == "INVALID_DATA"


def test_the_run_log_records_the_callers_parameter(register, call):
    from workflows.models import Run

    call("register", {"name": ""})
    run = Run.objects.get()
    assert (run.error_code, run.error_parameter) == ("INVALID_PARAMETER", "name")
