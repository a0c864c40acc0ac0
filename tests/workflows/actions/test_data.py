"""create_thing, make_changes, make_changes_to_list, delete_thing, delete_list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Customer, Order
from workflows import engine
from workflows.exceptions import DefinitionError

ORDER = [{"key": "order", "type": "thing", "data_type": "examples.Order"}]


def test_create_thing_returns_the_new_thing(make_workflow, customer, user):
    wf = make_workflow(
        parameters=[
            {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
            {"key": "total", "type": "number"},
        ],
        actions=[
            {
                "id": "new",
                "type": "create_thing",
                "data_type": "examples.Order",
                "fields": {"customer": "{{ params.customer }}", "total": "{{ params.total }}"},
            },
            {"type": "return_data", "data": {"order": "{{ steps.new }}"}},
        ],
    )
    result = engine.run(wf, {"customer": customer.pk, "total": "9.99"}, user)
    assert result.ok, result.error
    order = Order.objects.get()
    assert order.total == Decimal("9.99") and order.customer == customer
    assert result.response["order"]["_id"] == order.pk
    assert result.response["order"]["total"] == 9.99


def test_create_thing_accepts_a_foreign_key_id(make_workflow, customer, user):
    wf = make_workflow(
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Order",
                "fields": {"customer": customer.pk, "total": 1},
            }
        ]
    )
    assert engine.run(wf, {}, user).ok
    assert Order.objects.get().customer == customer


def test_create_thing_validation_error_names_the_field(make_workflow, user):
    wf = make_workflow(
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "X", "email": "not-an-email"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert "email" in result.error.message and "valid email" in result.error.message
    assert not Customer.objects.exists()


def test_unknown_or_hidden_fields_are_refused_at_save_time(make_workflow):
    with pytest.raises(DefinitionError, match="has no field 'colour'"):
        make_workflow(
            actions=[
                {"type": "create_thing", "data_type": "examples.Order", "fields": {"colour": "red"}}
            ]
        )
    with pytest.raises(DefinitionError, match="has no field 'password'"):
        make_workflow(  # a new user's password is hashed (create_thing); never changed so
            actions=[
                {
                    "type": "make_changes",
                    "thing": "{{ current_user }}",
                    "changes": {"password": "x"},
                }
            ]
        )
    with pytest.raises(DefinitionError, match="has no field 'colour'"):
        make_workflow(
            parameters=ORDER,
            actions=[
                {
                    "type": "make_changes",
                    "thing": "{{ params.order }}",
                    "changes": {"colour": "red"},
                }
            ],
        )
    with pytest.raises(DefinitionError, match="unknown data type"):
        make_workflow(actions=[{"type": "create_thing", "data_type": "auth.Permission"}])


def test_make_changes(make_workflow, order, user):
    wf = make_workflow(
        parameters=ORDER,
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid", "paid_at": "{{ now }}"},
            }
        ],
    )
    assert engine.run(wf, {"order": order.pk}, user).ok
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None


def test_make_changes_refuses_an_empty_thing(make_workflow, user):
    wf = make_workflow(
        parameters=[
            {"key": "order", "type": "thing", "data_type": "examples.Order", "optional": True}
        ],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    assert "no thing to change" in engine.run(wf, {}, user).error.message


def test_make_changes_to_list(make_workflow, customer, user):
    for total in (1, 2, 3):
        Order.objects.create(customer=customer, total=total)
    wf = make_workflow(
        actions=[
            {
                "id": "changed",
                "type": "make_changes_to_list",
                "list": "{{ search('examples.Order', total__lt=3) }}",
                "changes": {"status": "cancelled"},
            },
            {"type": "return_data", "data": {"n": "{{ steps.changed|length }}"}},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.response == {"n": 2}
    assert sorted(Order.objects.values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
        "new",
    ]


def test_delete_thing_and_delete_list_count_what_they_deleted(make_workflow, customer, user):
    orders = [Order.objects.create(customer=customer, total=t) for t in (1, 2, 3)]
    wf = make_workflow(
        parameters=ORDER,
        actions=[
            {"id": "one", "type": "delete_thing", "thing": "{{ params.order }}"},
            {"id": "many", "type": "delete_list", "list": "{{ search('examples.Order') }}"},
            {"id": "none", "type": "delete_list", "list": "{{ search('examples.Order') }}"},
            {
                "type": "return_data",
                "data": {
                    "one": "{{ steps.one }}",
                    "many": "{{ steps.many }}",
                    "none": "{{ steps.none }}",
                },
            },
        ],
    )
    result = engine.run(wf, {"order": orders[0].pk}, user)
    assert result.response == {"one": 1, "many": 2, "none": 0}
    assert Customer.objects.filter(
        pk=customer.pk
    ).exists()  # cascades are not counted or caused upward


ORDER_FOR_CUSTOMER = {
    "parameters": [{"key": "customer", "type": "thing", "data_type": "examples.Customer"}],
    "actions": [
        {
            "type": "create_thing",
            "data_type": "examples.Order",
            "fields": {"customer": "{{ params.customer }}", "total": 1},
        }
    ],
}


def test_a_foreign_key_to_a_thing_the_run_holds_is_not_read_again(make_workflow, customer, user):
    """Validation skips the existence query of a key set to a row the run loaded itself
    (here the thing parameter): one SELECT of the customer, not two."""
    wf = make_workflow(**ORDER_FOR_CUSTOMER)
    engine.run(wf, {"customer": customer.pk}, user)  # compiled, caches warm
    with CaptureQueriesContext(connection) as queries:
        result = engine.run(wf, {"customer": customer.pk}, user)
    assert result.ok, result.error
    customer_reads = [
        q for q in queries if q["sql"].startswith("SELECT") and "examples_customer" in q["sql"]
    ]
    assert len(customer_reads) == 1
    assert Order.objects.filter(customer=customer).count() == 2


def test_a_foreign_key_given_as_an_id_is_still_checked(make_workflow, customer, user):
    wf = make_workflow(
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Order",
                "fields": {"customer": customer.pk + 1000, "total": 1},
            }
        ],
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and "customer" in result.error.message
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_held_thing_deleted_earlier_in_the_run_fails_the_run_cleanly(make_workflow, user):
    """The held parameter's row is deleted by an earlier step (through other instances of
    it): the database's foreign-key constraint refuses the order, whether it checks at
    INSERT (PostgreSQL) or at COMMIT (SQLite), and the run fails and rolls back as a
    validation error would, not as a crash."""
    customer = Customer.objects.create(name="Ann", email="ann@example.com", user=user)
    wf = make_workflow(
        parameters=ORDER_FOR_CUSTOMER["parameters"],
        actions=[
            {"type": "delete_list", "list": "{{ search('examples.Customer') }}"},
            *ORDER_FOR_CUSTOMER["actions"],
        ],
    )
    result = engine.run(wf, {"customer": customer.pk}, user)
    assert not result.ok
    assert not result.error.message.startswith("internal error"), result.error.message
    assert Customer.objects.filter(pk=customer.pk).exists() and not Order.objects.exists()


def test_a_change_keeps_what_an_earlier_step_changed_through_another_copy(
    make_workflow, order, user
):
    """The list's copy of the order is cancelled, then the parameter's copy (loaded before)
    gets a note: only the note is written, the cancellation stays."""
    wf = make_workflow(
        parameters=ORDER,
        actions=[
            {
                "type": "make_changes_to_list",
                "list": "{{ search('examples.Order') }}",
                "changes": {"status": "cancelled"},
            },
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"note": "late"}},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.ok, result.error
    order.refresh_from_db()
    assert (order.status, order.note) == ("cancelled", "late")


def test_a_field_the_models_clean_derives_is_written_too(make_workflow, order, user, monkeypatch):
    def clean(self):
        self.note = f"status: {self.status}"

    monkeypatch.setattr(Order, "clean", clean)
    wf = make_workflow(
        parameters=ORDER,
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )
    assert engine.run(wf, {"order": order.pk}, user).ok
    order.refresh_from_db()
    assert (order.status, order.note) == ("paid", "status: paid")


def test_changing_a_thing_an_earlier_step_deleted_fails_the_run_cleanly(make_workflow, order, user):
    wf = make_workflow(
        parameters=ORDER,
        actions=[
            {"type": "delete_list", "list": "{{ search('examples.Order') }}"},
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"note": "x"}},
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert not result.ok and "no longer exists" in result.error.message
    assert Order.objects.filter(pk=order.pk).exists()  # rolled back
