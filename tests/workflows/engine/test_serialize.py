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
