"""The runner: one Run and a StepRun per action, all-or-nothing database work, flow control."""

from __future__ import annotations

import pytest

from examples.models import Customer, Order
from workflows import engine
from workflows.choices import RunStatus, StepStatus
from workflows.exceptions import MissingParameter
from workflows.models import Run

ORDER_PARAM = [{"key": "order", "type": "thing", "data_type": "examples.Order"}]


def test_every_action_gets_a_step_with_inputs_and_output(make_workflow, order, user):
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid"},
            },
            {"type": "log", "message": "skipped", "only_when": "params.order.total > 1000"},
            {"type": "return_data", "data": {"status": "{{ steps.paid.status }}"}},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.ok and result.response == {"status": "paid"}
    run = Run.objects.get(pk=result.run.pk)
    assert run.status == RunStatus.SUCCEEDED and run.actor == user and run.finished_at
    steps = list(run.steps.all())
    assert [s.status for s in steps] == [
        StepStatus.SUCCEEDED,
        StepStatus.SKIPPED,
        StepStatus.SUCCEEDED,
    ]
    assert steps[0].inputs["changes"] == {"status": "paid"}
    assert steps[0].output["_id"] == order.pk
    assert steps[1].condition_result is False
    assert run.params == {
        "order": {"_type": "examples.Order", "_id": order.pk, "_display": str(order)}
    }


def test_a_failing_step_rolls_back_every_database_action(make_workflow, order, user):
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}},
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "New", "email": "n@example.com"},
            },
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"total": "not a number"},
            },
            {"type": "log", "message": "never"},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert not result.ok
    # a value of the definition's own that the data type refuses: the workflow's fault
    assert (result.error.code, result.error.http_status) == ("INVALID_DATA", 500)
    assert "step 3" in result.error.message and "total" in result.error.message
    order.refresh_from_db()
    assert order.status == "new"
    assert not Customer.objects.filter(name="New").exists()
    run = Run.objects.get(pk=result.run.pk)
    assert run.status == RunStatus.FAILED and run.error_code == "INVALID_DATA"
    assert [s.status for s in run.steps.all()] == [
        StepStatus.SUCCEEDED,
        StepStatus.SUCCEEDED,
        StepStatus.FAILED,
        StepStatus.NOT_RUN,
    ]


def test_workflow_condition_not_met_runs_nothing(make_workflow, order, user):
    order.total = 0
    order.save()
    wf = make_workflow(
        parameters=ORDER_PARAM,
        only_when="params.order.total > 0",
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.run.status == RunStatus.CONDITION_NOT_MET
    assert result.error.code == "CONDITION_NOT_MET"
    order.refresh_from_db()
    assert order.status == "new"
    assert [s.status for s in result.run.steps.all()] == [StepStatus.NOT_RUN]


def test_terminate_ends_the_run_and_keeps_earlier_work(make_workflow, order, user):
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}},
            {"type": "terminate", "only_when": "params.order.status == 'paid'"},
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "shipped"},
            },
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.ok and result.response is None
    order.refresh_from_db()
    assert order.status == "paid"
    assert result.run.steps.last().status == StepStatus.NOT_RUN


def test_return_data_ends_the_workflow(make_workflow, user):
    wf = make_workflow(
        actions=[
            {"type": "return_data", "data": {"a": 1}},
            {"type": "return_data", "data": {"a": 2}},
        ]
    )
    assert engine.run(wf, {}, user).response == {"a": 1}


def test_parameter_errors_raise_before_any_run(make_workflow, user):
    wf = make_workflow(parameters=ORDER_PARAM, actions=[])
    with pytest.raises(MissingParameter):
        engine.run(wf, {}, user)
    assert not Run.objects.exists()


def test_custom_event_runs_inside_the_caller_and_returns_data(make_workflow, order, user):
    make_workflow(
        "summary",
        kind="custom_event",
        parameters=ORDER_PARAM,
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"note": "seen"}},
            {
                "type": "return_data",
                "data": {"text": "Order {{ params.order.id }}: {{ params.order.total }}"},
            },
        ],
    )
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {
                "id": "s",
                "type": "trigger_custom_event",
                "workflow": "summary",
                "params": {"order": "{{ params.order }}"},
            },
            {"type": "return_data", "data": {"summary": "{{ steps.s.text }}"}},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.response == {"summary": f"Order {order.pk}: 12.50"}
    child = Run.objects.get(parent=result.run)
    assert child.workflow_name == "summary" and child.depth == 1 and child.actor == user
    assert child.steps.count() == 2


def test_a_failing_custom_event_rolls_back_its_caller_and_both_are_logged(
    make_workflow, order, user
):
    make_workflow(
        "breaks",
        kind="custom_event",
        parameters=ORDER_PARAM,
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"note": "from child"},
            },
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "bogus-status"},
            },
        ],
    )
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}},
            {
                "type": "trigger_custom_event",
                "workflow": "breaks",
                "params": {"order": "{{ params.order }}"},
            },
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert not result.ok
    order.refresh_from_db()
    assert (order.status, order.note) == ("new", "")
    child = Run.objects.get(parent=result.run)
    assert child.status == RunStatus.FAILED and "status" in child.error_message
    assert child.steps.count() == 2


def test_recursion_stops_at_the_depth_limit(make_workflow, user, settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_DEPTH": 3}
    make_workflow(
        "loop",
        kind="custom_event",
        actions=[{"type": "trigger_custom_event", "workflow": "loop"}],
    )
    wf = make_workflow(actions=[{"type": "trigger_custom_event", "workflow": "loop"}])
    result = engine.run(wf, {}, user)
    assert result.error.code == "MAX_DEPTH_EXCEEDED"
    assert Run.objects.filter(workflow_name="loop").count() == 3


def test_timeout_between_actions(make_workflow, user, monkeypatch):
    wf = make_workflow(
        timeout=1, actions=[{"type": "log", "message": "a"}, {"type": "log", "message": "b"}]
    )
    clock = iter([0.0, 0.5, 5.0, 5.0, 5.0, 5.0])
    monkeypatch.setattr("workflows.engine.context.time.monotonic", lambda: next(clock, 9.0))
    result = engine.run(wf, {}, user)
    assert result.error.code == "TIMEOUT"
    assert [s.status for s in result.run.steps.all()] == [StepStatus.SUCCEEDED, StepStatus.FAILED]


def test_anonymous_runs_have_no_current_user(make_workflow):
    wf = make_workflow(actions=[{"type": "return_data", "data": {"who": "{{ current_user }}"}}])
    result = engine.run(wf, {}, None)
    assert result.response == {"who": None} and result.run.actor is None


@pytest.mark.parametrize(
    "expression",
    [
        "{{ params.order.delete() }}",
        "{{ params.order.save }}",
        "{{ params.order._meta }}",
        "{{ params.order.customer.user.password }}",
        "{{ current_user.password }}",
        "{{ params.order.customer.orders.delete() }}",
        "{{ params.order.customer.orders.queryset }}",
    ],
)
def test_things_expose_fields_not_methods_or_hidden_fields(make_workflow, order, user, expression):
    wf = make_workflow(
        parameters=ORDER_PARAM, actions=[{"type": "return_data", "data": {"x": expression}}]
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert not result.ok
    assert Order.objects.filter(pk=order.pk).exists()


def test_related_things_and_search_come_back_as_lists(make_workflow, order, customer, user):
    Order.objects.create(customer=customer, total=3, status="paid")
    wf = make_workflow(
        parameters=ORDER_PARAM,
        actions=[
            {
                "type": "return_data",
                "data": {
                    "customer": "{{ params.order.customer.name }}",
                    "orders": "{{ params.order.customer.orders.count }}",
                    "paid": "{{ search('examples.Order', status='paid').count }}",
                    "totals": "{{ search('examples.Order', sort_by='total')"
                    "|map(attribute='total')|map('string')|join(',') }}",
                    "first": "{{ search('examples.Order', total__gt=5).first.id }}",
                },
            }
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.response == {
        "customer": "Ann",
        "orders": 2,
        "paid": 1,
        "totals": "3.00,12.50",
        "first": order.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_search_lock_serialises_concurrent_read_modify_write(make_workflow, customer, user):
    """Two runs incrementing one counter through search(lock=true) never lose an update."""
    import threading

    from django.db import connection

    if not connection.features.has_select_for_update:
        pytest.skip(f"{connection.vendor} serialises writers itself; no row locks to test")
    order = Order.objects.create(customer=customer, total=0)
    bump = make_workflow(
        "bump",
        parameters=ORDER_PARAM,
        actions=[
            {
                "id": "o",
                "type": "log",
                "message": "{{ search('examples.Order', pk=params.order.id, lock=true)"
                ".first.total }}",
            },
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"total": "{{ steps.o|float + 1 }}"},
            },
        ],
    )
    errors = []

    def worker():
        try:
            for _ in range(5):
                result = engine.run(bump, {"order": order.pk}, user)
                assert result.ok, result.error
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    order.refresh_from_db()
    assert order.total == 10
