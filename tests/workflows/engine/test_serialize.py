"""The run log holds any value a step can produce; a response only what JSON can carry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows import engine
from workflows.choices import RunStatus
from workflows.engine.serialize import storable_text, to_log, to_response
from workflows.models import Run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "logged"),
    [(float("inf"), "Infinity"), (float("-inf"), "-Infinity"), (float("nan"), "NaN")],
)
def test_numbers_json_cannot_carry_are_logged_by_name(value, logged):
    assert to_log({"x": [value]}) == {"x": [logged]}
    assert to_log(Decimal(str(value))) == logged


def test_returning_infinity_fails_the_run_with_the_reason(make_workflow, user):
    wf = make_workflow(
        actions=[{"type": "return_data", "data": {"total": "{{ 1e308 * 10 }}"}}],
    )
    result = engine.run(wf, {}, user)
    assert result.status == RunStatus.FAILED
    assert "'total'" in result.error.message and "Infinity" in result.error.message
    run = Run.objects.get(pk=result.run.pk)  # stored, not only in memory
    assert run.status == RunStatus.FAILED and "Infinity" in run.error_message
    assert run.steps.get().inputs == {"response_type": "json", "data": {"total": "Infinity"}}


def test_returning_nan_over_the_api_is_a_clean_error(make_workflow, call):
    make_workflow(
        "nan",
        expose=True,
        auth="none",
        actions=[{"type": "return_data", "data": {"x": ["{{ 'nan'|float }}"]}}],
    )
    response = call("nan")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "WORKFLOW_ERROR" and "NaN" in body["message"]
    assert Run.objects.get().status == RunStatus.FAILED


def test_text_no_database_can_store_is_logged_with_replacement_characters(make_workflow, user):
    wf = make_workflow(
        actions=[
            {"id": "a", "type": "log", "message": "{{ 'x\\ud800y' }}"},
            {"id": "b", "type": "log", "message": "{{ 'nul\\x00here' }}"},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    steps = list(result.run.steps.order_by("position"))
    assert steps[0].output == "x\ufffdy"
    assert steps[1].output == "nul\ufffdhere"


def test_a_run_ends_failed_even_when_its_step_log_cannot_be_written(
    make_workflow, user, monkeypatch
):
    """The failure path must not fail the way the success path did (the run stayed
    ``running`` forever): without its steps, the run row still gets its final status."""
    from django.db import DataError

    from workflows import statements
    from workflows.models import StepRun

    real_insert = statements.insert

    def refuse_steps(objs):
        if objs and isinstance(objs[0], StepRun):
            raise DataError("value out of range for the log")
        real_insert(objs)

    monkeypatch.setattr(statements, "insert", refuse_steps)
    wf = make_workflow(actions=[{"type": "log", "message": "hello"}])
    result = engine.run(wf, {}, user)
    run = Run.objects.get(pk=result.run.pk)
    assert run.status == RunStatus.FAILED
    assert "the step log could not be saved: DataError" in run.error_message
    assert run.finished_at is not None


def test_a_huge_decimal_is_logged_quickly_not_expanded():
    assert to_log(Decimal("1E+999999")) == "Infinity"
    assert to_log(Decimal("12.50")) == 12.5 and to_log(Decimal("3")) == 3


def test_a_huge_whole_number_is_described_not_printed():
    assert to_log(10**5000).startswith("a whole number of")
    with pytest.raises(Exception, match="too long to send"):
        to_response({"n": 10**5000})


def test_storable_text_keeps_valid_text_and_joins_surrogate_pairs():
    assert storable_text("héllo 🎉") == "héllo 🎉"
    assert storable_text("\ud83c\udf89") == "🎉"
    assert storable_text("a\udc00b") == "a\ufffdb"


# --- a run's log forms: each value converted once -----------------------------------------


def test_a_value_logged_twice_is_converted_once_and_the_same(customer, monkeypatch):
    from workflows import data_types
    from workflows.engine.serialize import LogForms

    made = []
    reference = data_types.thing_reference
    monkeypatch.setattr(data_types, "thing_reference", lambda t: made.append(t) or reference(t))
    data = {"customer": customer, "tags": ["a", "b"]}
    forms = LogForms()
    as_input = to_log({"data": data}, forms=forms)  # a return_data step's inputs
    as_result = to_log(data, forms=forms)  # then the run's result
    assert as_result == as_input["data"] == to_log(data)
    assert made.count(customer) == 2  # once with the forms, once without


def test_after_forget_a_changed_thing_is_logged_as_it_is_now(customer):
    from workflows.engine.serialize import LogForms

    forms = LogForms()
    before = to_log(customer, forms=forms)
    customer.name = "Bea"
    assert to_log(customer, forms=forms) == before  # nothing said it changed
    forms.forget()  # what the runner does after a step that may write
    assert to_log(customer, forms=forms)["_display"] != before["_display"]


def test_a_form_cut_for_depth_is_not_reused_higher_up():
    from workflows.engine.serialize import LogForms

    deep: dict = {"v": 1}
    for _ in range(8):
        deep = {"n": deep}
    forms = LogForms()
    to_log({"inside": deep}, forms=forms)  # cut one level earlier there
    assert to_log(deep, forms=forms) == to_log(deep)


def test_a_secret_learned_after_a_form_was_made_is_masked_in_it():
    from workflows.engine.serialize import LogForms
    from workflows.masking import run_scope

    with run_scope():
        forms = LogForms()
        note = {"text": "key sk-live-0123456789abcdef"}
        assert "sk-live" in to_log(note, forms=forms)["text"]
        to_log({"api_key": "sk-live-0123456789abcdef"}, forms=forms)  # learned here
        assert "sk-live" not in to_log(note, forms=forms)["text"]


def test_a_run_logs_each_step_s_things_as_they_were_then(make_workflow, user, customer):
    """A step that may write forgets the forms made so far: its output shows the thing
    it changed as changed, though its inputs logged the same thing before."""
    wf = make_workflow(
        parameters=[{"key": "c", "type": "thing", "data_type": "examples.Customer"}],
        ignore_privacy=True,
        actions=[
            {"type": "make_changes", "thing": "{{ params.c }}", "changes": {"name": "Bea"}},
            {"type": "return_data", "data": {"c": "{{ params.c }}"}},
        ],
    )
    result = engine.run(wf, {"c": customer.pk}, user)
    assert result.ok, result.error
    run = Run.objects.get()
    change = run.steps.get(position=1)
    assert change.inputs["thing"]["_display"] == "Ann"
    assert change.output["_display"] == "Bea"
    assert run.result["c"]["_display"] == "Bea"
