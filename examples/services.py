"""Loading the examples: the seeds' workflows (``examples/workflows/*.yaml``) and a little
sample data, so the tour in the README works on a fresh machine.

``make run`` calls this every time, so it is idempotent and never undoes a builder's work:
example workflows edited in the admin are kept (``reset=True`` restores them), and sample
rows are only created when absent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from workflows.transfer import ImportReport, import_definitions

from .models import Customer, Order, Product, Profile, Review, Setting

WORKFLOWS_DIR = Path(__file__).resolve().parent / "workflows"
DEMO_USERNAME = "demo"
DEMO_BIRTHDAY = datetime.date(1990, 4, 12)
#: (name, email, linked to the demo user, totals of the orders made with the customer)
CUSTOMERS = (
    ("Ann Example", "ann@example.com", True, ("42.00", "19.90")),
    ("Bo Sample", "bo@example.com", False, ("0.00",)),  # process-order refuses a free order
)
#: (name, price): the catalogue; each sample order holds the first of them
PRODUCTS = (("Tea", "4.50"), ("Teapot", "37.50"))


@dataclass
class ExamplesReport:
    workflows: ImportReport
    created: list[str] = field(default_factory=list)  # sample rows created, described


def example_workflow_files() -> list[Path]:
    return sorted(WORKFLOWS_DIR.glob("*.yaml"))


@transaction.atomic
def examples_load(*, reset: bool = False) -> ExamplesReport:
    """Import the example workflows (keeping edited ones unless ``reset``) and sample data."""
    report = import_definitions(example_workflow_files(), keep_existing=not reset)
    return ExamplesReport(report, sample_data_ensure())


def sample_data_ensure() -> list[str]:
    """Create the demo user, customers, orders and review that are missing; describe what
    was made.

    There is always an unpaid order to try ``process-order`` on: once every sample order is
    paid, the next call adds a new one.
    """
    created: list[str] = []
    user_model = get_user_model()
    demo, made = user_model.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"email": "demo@example.com", "first_name": "Dana", "last_name": "Demo"},
    )
    if made:
        demo.set_unusable_password()
        demo.save(update_fields=["password"])
        created.append(f"user {demo.username!r} <{demo.email}> (cannot log in)")
    _, made = Setting.objects.get_or_create(name="daily-cleanup")
    if made:
        created.append("setting 'daily-cleanup' (should_run: on)")
    _, made = Profile.objects.get_or_create(user=demo, defaults={"birthday": DEMO_BIRTHDAY})
    if made:
        created.append(f"profile of {demo.username!r}, birthday {DEMO_BIRTHDAY.isoformat()}")
    for name, price in PRODUCTS:
        _, made = Product.objects.get_or_create(name=name, defaults={"price": Decimal(price)})
        if made:
            created.append(f"product {name}, {price}")
    _, made = Review.objects.get_or_create(
        product=Product.objects.get(name=PRODUCTS[0][0]),
        created_by=demo,
        defaults={"rating": 5, "text": "Smooth and fragrant.", "tags": ["green", "loose leaf"]},
    )
    if made:
        created.append(f"review of {PRODUCTS[0][0]} by {demo.username!r} (5 stars)")
    customers = []
    for name, email, linked, totals in CUSTOMERS:
        customer, made = Customer.objects.get_or_create(
            email=email, defaults={"name": name, "user": demo if linked else None}
        )
        customers.append(customer)
        if made:
            created.append(f"customer {customer.name} <{customer.email}>")
            created += [_order(customer, total) for total in totals]
    unpaid = Order.objects.filter(customer__in=customers, status=Order.Status.NEW, total__gt=0)
    if not unpaid.exists():
        created.append(_order(customers[0], CUSTOMERS[0][3][0]))
    return created


def _order(customer: Customer, total: str) -> str:
    order = Order.objects.create(customer=customer, total=Decimal(total))
    order.products.set(Product.objects.filter(name=PRODUCTS[0][0]))
    return f"order #{order.pk} of {customer.name}, {order.total} ({order.status})"
