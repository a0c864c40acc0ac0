"""copy_list: a new thing of each thing of a list, fields copied or set anew per item, its
lists pointing at the same things; the copies, in order, for later steps
(docs/actions.md#copy_list)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Order, Product, Review
from workflows import engine


def test_a_thousand_things_copied_with_fields_set_anew_for_a_later_step(
    make_workflow, customer, user
):
    shirt = Product.objects.create(name="Shirt", price=10)
    orders = Order.objects.bulk_create(
        Order(customer=customer, total=n, note=f"n{n}") for n in range(1, 1001)
    )
    orders[0].products.set([shirt])
    wf = make_workflow(
        actions=[
            {
                "id": "copies",
                "type": "copy_list",
                "list": "{{ search('examples.Order', status='new', sort_by='total') }}",
                "fields": {"total": "{{ item.total * 2 }}", "note": "copy {{ index }}"},
            },
            {
                "type": "return_data",
                "data": {
                    "n": "{{ steps.copies|length }}",
                    "first": "{{ steps.copies[0].total }}",
                    "last_note": "{{ steps.copies[-1].note }}",
                },
            },
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert result.response == {"n": 1000, "first": 2, "last_note": "copy 999"}
    copies = Order.objects.filter(note__startswith="copy")
    assert copies.count() == 1000 and Order.objects.count() == 2000
    first = copies.get(note="copy 0")
    assert first.total == Decimal(2) and first.customer == customer and first.pk != orders[0].pk
    assert list(first.products.all()) == [shirt]  # the same things, not copies of them
    assert Product.objects.count() == 1
    # the originals are untouched
    assert Order.objects.get(pk=orders[0].pk).total == Decimal(1)


def test_a_copy_gets_its_own_built_in_fields(make_workflow, user, other_user):
    product = Product.objects.create(name="Mug", price=5)
    long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    original = Review.objects.create(
        product=product, rating=4, text="ok", created_by=other_user, created_date=long_ago
    )
    wf = make_workflow(actions=[{"type": "copy_list", "list": "{{ search('examples.Review') }}"}])
    assert engine.run(wf, {}, user).ok
    copy = Review.objects.exclude(pk=original.pk).get()
    assert (copy.rating, copy.text, copy.product) == (4, "ok", product)
    assert copy.unique_id != original.unique_id
    assert copy.created_by == user and copy.created_date != long_ago


def test_a_copy_a_data_type_refuses_fails_the_step_and_keeps_nothing(make_workflow, customer, user):
    Order.objects.create(customer=customer, total=1)
    wf = make_workflow(
        actions=[
            {
                "type": "copy_list",
                "list": "{{ search('examples.Order') }}",
                "fields": {"total": "lots"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and "total" in result.error.message
    assert Order.objects.count() == 1


def test_the_lists_of_the_things_copied_are_read_once_not_per_thing(make_workflow, customer, user):
    shirt = Product.objects.create(name="Shirt", price="10.00")
    originals = []
    for n in range(5):
        originals.append(Order.objects.create(customer=customer, total=n))
        originals[-1].products.set([shirt])
    wf = make_workflow(actions=[{"type": "copy_list", "list": "{{ search('examples.Order') }}"}])
    with CaptureQueriesContext(connection) as queries:
        assert engine.run(wf, {}, user).ok
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "examples_order_products" in q["sql"]
    ]
    # the originals' lists in one read; each copy's list is only written
    one_read = [sql for sql in reads if "_prefetch_related_val" in sql]
    assert len(one_read) == 1 and all('"order_id" IN' in sql for sql in one_read)
    assert not [sql for sql in reads for o in originals if f'"order_id" = {o.pk} ' in sql], reads
    assert all(list(o.products.all()) == [shirt] for o in Order.objects.all())
