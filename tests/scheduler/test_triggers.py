"""Database trigger events: once per thing per committed transaction, asynchronously."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from examples.models import Customer, Order
from scheduler.models import Origin, ScheduledRun, Status
from workflows import engine
from workflows.choices import RunSource, RunStatus
from workflows.models import Run, Workflow

# Triggers fire when a transaction commits, so these tests use real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_paid(make_workflow):
    return make_workflow(
        "on-order-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        only_when="thing_before.status != 'paid' and thing.status == 'paid'",
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ thing }}",
                "changes": {"note": "was {{ thing_before.status }} at {{ thing_before.total }}"},
            },
        ],
    )


@pytest.fixture
def audit(make_workflow):
    return make_workflow(
        "audit-customers",
        kind="trigger",
        data_type="examples.Customer",
        on=["create", "delete"],
        actions=[
            {
                "type": "log",
                "message": "{{ 'created ' ~ thing.name if thing "
                "else 'deleted ' ~ thing_before.name }}",
            },
        ],
    )


def trigger_runs():
    return ScheduledRun.objects.filter(origin=Origin.TRIGGER)


def test_update_fires_once_per_transaction_with_before_and_after(on_paid, order, drain):
    with transaction.atomic():
        order.total = Decimal("20.00")
        order.save()
        order.status = "paid"
        order.save()
    (row,) = trigger_runs()
    assert row.context["thing"] == order.pk
    assert row.context["thing_before"]["status"] == "new"
    assert drain() == [Status.SUCCEEDED]
    order.refresh_from_db()
    # thing_before is the row before the first change; the trigger's own change fired nothing
    assert order.note == "was new at 12.50"
    assert trigger_runs().count() == 1
    run = Run.objects.get(workflow_name="on-order-paid")
    assert run.source == RunSource.TRIGGER and run.status == RunStatus.SUCCEEDED


def test_only_when_false_runs_no_action(on_paid, order, drain):
    order.note = "just a note"
    order.save()
    assert drain() == [Status.SUCCEEDED]
    run = Run.objects.get(workflow_name="on-order-paid")
    assert run.status == RunStatus.CONDITION_NOT_MET
    order.refresh_from_db()
    assert order.note == "just a note"


def test_saving_without_a_change_fires_nothing(on_paid, order):
    order.save()
    assert not trigger_runs().exists()


def test_a_rolled_back_transaction_fires_nothing(on_paid, order):
    try:
        with transaction.atomic():
            order.status = "paid"
            order.save()
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert not trigger_runs().exists()


def test_what_a_rolled_back_savepoint_undid_fires_nothing(audit, drain):
    """A creation or a delete inside ``atomic()`` within ``atomic()`` that was rolled back
    is not in what the transaction committed: it fired before (a create trigger for a
    thing that never existed, a delete trigger for one still there)."""
    kept = Customer.objects.create(name="Kept", email="k@example.com")
    drain()
    with transaction.atomic():
        Customer.objects.create(name="Made", email="m@example.com")
        for undone in (
            lambda: Customer.objects.create(name="Undone", email="u@example.com"),
            kept.delete,
        ):
            try:
                with transaction.atomic():
                    undone()
                    raise RuntimeError("roll the savepoint back")
            except RuntimeError:
                pass
    assert drain() == [Status.SUCCEEDED]
    assert Customer.objects.filter(name="Kept").exists()
    messages = [Run.objects.get(pk=row.run_id).steps.get().output for row in trigger_runs()]
    assert sorted(messages) == ["created Kept", "created Made"]


def test_create_and_delete(audit, drain):
    carl = Customer.objects.create(name="Carl", email="carl@example.com")
    carl.delete()
    with transaction.atomic():  # created and deleted in one transaction: never existed
        Customer.objects.create(name="Ghost", email="g@example.com").delete()
    assert drain() == [Status.SUCCEEDED, Status.SUCCEEDED]
    messages = sorted(Run.objects.get(pk=row.run_id).steps.get().output for row in trigger_runs())
    assert messages == ["created Carl", "deleted Carl"]
    delete = trigger_runs().get(context__thing=None)
    assert delete.context["thing_before"]["name"] == "Carl"


def test_changes_made_by_a_workflow_fire_with_its_user_and_depth(
    on_paid, make_workflow, order, user, drain
):
    pay = make_workflow(
        "pay",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    parent = engine.run(pay, {"order": order.pk}, user).run
    (row,) = trigger_runs()
    assert (row.actor, row.scheduled_by, row.depth) == (user, parent, 1)
    assert drain() == [Status.SUCCEEDED]


def test_bulk_update_is_not_seen(on_paid, order):
    """Documented: QuerySet.update() sends no signal, so no trigger fires."""
    Order.objects.filter(pk=order.pk).update(status="paid")
    assert not trigger_runs().exists()


def test_changes_through_the_data_api_fire_triggers(audit, api, key, drain):
    response = api.post(
        "/api/1.1/obj/examples.customer",
        {"name": "Dee", "email": "dee@example.com"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content
    assert trigger_runs().count() == 1
    drain()
    assert Run.objects.get(workflow_name="audit-customers").status == RunStatus.SUCCEEDED


def test_changes_made_in_the_admin_fire_triggers(audit, superuser, drain):
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    response = client.post(
        "/admin/examples/customer/add/", {"name": "Eve", "email": "eve@example.com"}
    )
    assert response.status_code == 302, response.content
    assert trigger_runs().count() == 1
    drain()
    run = Run.objects.get(workflow_name="audit-customers")
    assert run.steps.get().output == "created Eve"


def test_a_trigger_deleted_elsewhere_a_moment_ago_does_not_break_the_change(
    audit, drain, monkeypatch
):
    from scheduler import triggers

    triggers.watching("examples.Customer", "create")  # this process knows the trigger
    # its list stays as it is however long this takes: the workflow is deleted as if by
    # another process, which this one has not noticed yet
    monkeypatch.setattr(triggers, "WATCH_TTL", float("inf"))
    Workflow.objects.filter(pk=audit.pk).delete()
    Customer.objects.create(name="Fay", email="fay@example.com")
    assert trigger_runs().count() == 0


# --- cascades: a trigger's own changes fire nothing, what it schedules does ----------------


@pytest.fixture
def cascade(make_workflow):
    """on-paid notes the order itself and schedules ``ship``, whose change fires triggers;
    on-any-update watches every change to an order."""
    make_workflow(
        "ship",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "shipped"},
            }
        ],
    )
    make_workflow(
        "on-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        only_when="thing_before.status != 'paid' and thing.status == 'paid'",
        actions=[
            {"type": "make_changes", "thing": "{{ thing }}", "changes": {"note": "seen"}},
            {
                "id": "ship",
                "type": "schedule_workflow",
                "workflow": "ship",
                "params": {"order": "{{ thing }}"},
            },
        ],
    )
    make_workflow(
        "on-any-update",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        actions=[{"type": "log", "message": "{{ thing_before.status }} -> {{ thing.status }}"}],
    )


def _fired(name):
    return list(trigger_runs().filter(workflow__name=name).order_by("created_at", "depth"))


def test_a_trigger_s_own_changes_fire_nothing_but_what_it_schedules_does(
    cascade, make_workflow, order, user, drain
):
    pay = make_workflow(
        "pay",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    root = engine.run(pay, {"order": order.pk}, user).run
    assert len(_fired("on-paid")) == 1 and len(_fired("on-any-update")) == 1

    drain()
    order.refresh_from_db()
    assert (order.status, order.note) == ("shipped", "seen")

    # on-paid's own change (the note) fired nothing: each trigger fired once for the
    # payment and once for the shipping done by the run it scheduled, never for the note
    on_any = _fired("on-any-update")
    contexts = [(r.context["thing_before"]["status"], r.context["thing_after"]) for r in on_any]
    assert [(before, after["status"]) for before, after in contexts] == [
        ("new", "paid"),
        ("paid", "shipped"),
    ]
    assert contexts[1][1]["note"] == "seen"  # the note was there, but fired nothing itself
    assert len(_fired("on-paid")) == 2  # fired again by ship's change; condition not met
    outputs = [Run.objects.get(pk=r.run_id).steps.get().output for r in on_any]
    assert outputs == ["new -> paid", "paid -> shipped"]

    # the cascade is linked and counted by depth from the root run (pay: 0)
    ship = ScheduledRun.objects.get(origin=Origin.ACTION, workflow__name="ship")
    paid_trigger_run = Run.objects.get(pk=_fired("on-paid")[0].run_id)
    assert (ship.scheduled_by, ship.depth, ship.actor) == (paid_trigger_run, 2, user)
    assert ship.run.source == RunSource.SCHEDULED and ship.run.status == RunStatus.SUCCEEDED
    shipped = on_any[1]
    assert (shipped.scheduled_by, shipped.depth, shipped.actor) == (ship.run, 3, user)
    assert (on_any[0].scheduled_by, on_any[0].depth) == (root, 1)
    assert [Run.objects.get(pk=r.run_id).status for r in _fired("on-paid")] == [
        RunStatus.SUCCEEDED,
        RunStatus.CONDITION_NOT_MET,
    ]
