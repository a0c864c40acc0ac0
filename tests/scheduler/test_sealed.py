"""A scheduled run's secret parameters are sealed at rest (scheduler/sealed.py): the row
holds them encrypted, never in clear, whichever way the run was scheduled; the run gets
them as given; the admin and the API show them masked; a value the keys cannot open
fails the run naming it."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from scheduler import services
from scheduler.execution import shown_params
from scheduler.models import RecurringEvent, ScheduledRun, Status
from scheduler.sealed import SEALED, seal, unseal
from tests.scheduler.due import ran, run_when_due
from workflows.engine.cache import get_compiled

TOKEN = "tok-Sealed-9f3c"
LATER = "2030-01-01T00:00:00Z"


@pytest.fixture
def vault(make_workflow):
    """Returns how long its secret token is: proof the run got the value itself."""
    return make_workflow(
        "vault",
        expose=True,
        parameters=[
            {"key": "who", "type": "text"},
            {"key": "token", "type": "text", "secret": True},
        ],
        actions=[
            {
                "type": "return_data",
                "data": {"who": "{{ params.who }}", "length": "{{ params.token|length }}"},
            }
        ],
    )


def _stored_text() -> str:
    """Every scheduled run's and recurring event's parameters as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT params FROM scheduler_scheduledrun")
        rows = [str(r[0]) for r in cursor.fetchall()]
        cursor.execute("SELECT params FROM scheduler_recurringevent")
        rows += [str(r[0]) for r in cursor.fetchall()]
    return "\n".join(rows)


def test_scheduled_through_the_api_the_row_holds_it_sealed_and_the_run_gets_it(api, key, vault):
    body = {"at": LATER, "params": {"who": "ada", "token": TOKEN}}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = api.post("/api/1.1/wf/vault/schedule", body, format="json", **auth)
    assert response.status_code == 201, response.content
    assert TOKEN not in _stored_text()
    row = ScheduledRun.objects.get()
    assert set(row.params["token"]) == {SEALED} and row.params["who"] == "ada"
    assert shown_params(row) == {"who": "ada", "token": "********"}
    assert ran(row) == {"who": "ada", "length": len(TOKEN)}
    assert row.run.params["token"] == "********"  # the run log masks it, as ever
    assert TOKEN not in _stored_text()


def test_scheduled_by_a_workflow_on_a_list_and_as_a_recurring_event(vault, user):
    services.schedule_on_list(
        vault, ["a", "b"], lambda item, i: {"who": item, "token": f"{TOKEN}-{i}"}, at=LATER
    )
    services.start_recurring(vault, "every 1 day", params={"who": "c", "token": TOKEN}, actor=user)
    services.schedule(vault, {"who": "d", "token": TOKEN}, LATER, actor=user)
    assert ScheduledRun.objects.count() >= 3 and RecurringEvent.objects.count() == 1
    assert TOKEN not in _stored_text()
    item = ScheduledRun.objects.filter(params__who="b").get()
    assert ran(item) == {"who": "b", "length": len(f"{TOKEN}-1")}


def test_a_retry_keeps_it_sealed_and_runs_with_it(vault, user):
    row = services.schedule(vault, {"who": "d", "token": TOKEN}, LATER, actor=user)
    ScheduledRun.objects.filter(pk=row.pk).update(status=Status.FAILED)
    row.refresh_from_db()
    again = services.retry(row, LATER)
    assert again.params["token"] == row.params["token"]  # copied, not sealed twice
    assert ran(again) == {"who": "d", "length": len(TOKEN)}


def test_a_value_the_keys_cannot_open_fails_the_run_naming_it(vault, user, settings):
    row = services.schedule(vault, {"who": "d", "token": TOKEN}, LATER, actor=user)
    ScheduledRun.objects.filter(pk=row.pk).update(
        params={"who": "d", "token": {SEALED: "not-a-token"}}
    )
    row.refresh_from_db()
    assert run_when_due(row) == Status.FAILED
    row.refresh_from_db()
    assert "token: this secret parameter was stored encrypted" in row.last_error


def test_seal_and_unseal(vault):
    secret = get_compiled(vault).secret_keys
    sealed = seal({"who": "x", "token": ["a", 1], "none": None}, secret | {"none"})
    assert sealed["who"] == "x" and sealed["none"] is None and set(sealed["token"]) == {SEALED}
    assert unseal(sealed) == {"who": "x", "token": ["a", 1], "none": None}
    assert seal(sealed, secret) == sealed  # never twice
    assert json.dumps(sealed).count(SEALED) == 1


def test_a_workflows_own_schedule_keeps_its_secret_sealed(vault):
    """A workflow's own recurring schedule (``schedule.params``): sealed; synced again
    unchanged it keeps its event; a sealed value no key opens any more starts it again
    (no error saving the workflow)."""
    vault.schedule = {"every": "1 day", "params": {"who": "n", "token": TOKEN}}
    vault.save()
    event = services.sync_workflow_schedule(vault)
    assert TOKEN not in _stored_text() and set(event.params["token"]) == {SEALED}
    assert services.sync_workflow_schedule(vault) == event  # the same parameters
    RecurringEvent.objects.filter(pk=event.pk).update(
        params={"who": "n", "token": {SEALED: "not-a-token"}}
    )
    again = services.sync_workflow_schedule(vault)
    assert again.pk != event.pk and again.active
    event.refresh_from_db()
    assert event.active is False
