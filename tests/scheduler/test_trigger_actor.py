"""A trigger runs as the user whose change fired it: a run's user, a Data API key's user,
an admin user; nobody for a change made outside any request or run."""

from __future__ import annotations

import pytest
from django.test import Client

from examples.models import Order
from scheduler.models import Origin, ScheduledRun
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def who_changed(make_workflow):
    return make_workflow(
        "who-changed",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        actions=[{"id": "who", "type": "log", "message": "by {{ current_user.username }}"}],
    )


def trigger_run() -> Run:
    return Run.objects.get(workflow_name="who-changed")


def test_a_data_api_change_runs_the_trigger_as_the_keys_user(
    who_changed, api, key, user, order, drain
):
    response = api.patch(
        f"/api/1.1/obj/examples.order/{order.pk}",
        {"note": "changed"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 204, response.content
    assert ScheduledRun.objects.get(origin=Origin.TRIGGER).actor == user
    drain()
    run = trigger_run()
    assert run.actor == user
    assert run.steps.get().output == f"by {user.username}"


def test_an_admin_change_runs_the_trigger_as_the_admin(who_changed, superuser, order, drain):
    client = Client()
    client.force_login(superuser)
    page = client.get(f"/admin/examples/order/{order.pk}/change/")
    assert page.status_code == 200
    data = {
        "customer": order.customer_id,
        "total": "12.50",
        "status": "paid",
        "note": "by hand",
    }
    response = client.post(f"/admin/examples/order/{order.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    drain()
    assert trigger_run().actor == superuser


def test_a_change_outside_any_request_or_run_has_no_user(who_changed, order, drain):
    Order.objects.filter(pk=order.pk).update(note="x")  # no signal: nothing fires
    order.note = "changed in a shell"
    order.save()
    drain()
    run = trigger_run()
    assert run.actor is None and run.steps.get().output == "by "
