"""schedule_workflow_on_list and the cancel actions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from examples.models import Customer
from scheduler.models import Origin, ScheduledRun, Status
from workflows import engine
from workflows.choices import RunSource
from workflows.exceptions import DefinitionError
from workflows.models import Run


@pytest.fixture
def greet(make_workflow):
    return make_workflow(
        "greet",
        parameters=[
            {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
            {"key": "position", "type": "number"},
        ],
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.customer }}",
                "changes": {"name": "{{ params.customer.name }} #{{ params.position }}"},
            }
        ],
    )


@pytest.fixture
def customers(user):
    return [Customer.objects.create(name=f"c{i}", email=f"c{i}@example.com") for i in range(5)]


def on_list(make_workflow, **extra):
    return make_workflow(
        "greet-all",
        parameters=[{"key": "at", "type": "date", "optional": True}],
        actions=[
            {
                "id": "batch",
                "type": "schedule_workflow_on_list",
                "list": "{{ search('examples.Customer', sort_by='id') }}",
                "workflow": "greet",
                "params": {"customer": "{{ item }}", "position": "{{ index }}"},
                "at": "{{ params.at }}",
                **extra,
            },
            {
                "type": "return_data",
                "data": {"count": "{{ steps.batch.count }}", "ids": "{{ steps.batch.ids }}"},
            },
        ],
    )


def test_one_run_per_item_spaced_by_interval(make_workflow, greet, customers, user, later):
    wf = on_list(make_workflow, interval=60)
    start = later(hours=1)
    result = engine.run(wf, {"at": start.isoformat()}, user)
    assert result.ok, result.error
    assert result.response["count"] == 5
    rows = {str(r.pk): r for r in ScheduledRun.objects.all()}
    assert set(result.response["ids"]) == set(rows)
    for i, pk in enumerate(result.response["ids"]):
        row = rows[pk]
        assert row.params == {
            "customer": {"_type": "examples.Customer", "_id": customers[i].pk},
            "position": i,
        }
        assert abs((row.due_at - start).total_seconds() - 60 * i) < 0.01
        assert (row.origin, row.depth, row.actor, row.scheduled_by) == (
            Origin.LIST,
            1,
            user,
            result.run,
        )


def test_the_runs_execute_with_their_item(make_workflow, greet, customers, user, drain):
    wf = on_list(make_workflow)
    engine.run(wf, {}, user)
    assert drain() == [Status.SUCCEEDED] * 5
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        f"c{i} #{i}" for i in range(5)
    ]
    runs = Run.objects.filter(workflow=greet)
    assert {r.source for r in runs} == {RunSource.ON_A_LIST} and runs.count() == 5


def test_rows_are_written_in_bulk(make_workflow, greet, customers, user):
    wf = on_list(make_workflow)
    with CaptureQueriesContext(connection) as queries:
        engine.run(wf, {}, user)
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "scheduler_scheduledrun"')]
    assert len(inserts) == 1


def test_one_bad_item_refuses_the_whole_list(make_workflow, greet, customers, user):
    wf = make_workflow(
        "bad-list",
        parameters=[{"key": "first", "type": "thing", "data_type": "examples.Customer"}],
        actions=[
            {
                "type": "schedule_workflow_on_list",
                "list": "{{ [params.first, 'x'] }}",
                "workflow": "greet",
                "params": {"customer": "{{ item }}", "position": "{{ index }}"},
            }
        ],
    )
    result = engine.run(wf, {"first": customers[0].pk}, user)
    assert result.error is not None
    assert "item 1: parameter 'customer': 'x'" in result.error.message
    assert not ScheduledRun.objects.exists()


def test_item_and_index_only_exist_in_the_per_item_params(make_workflow, greet):
    with pytest.raises(DefinitionError, match="item"):
        make_workflow(
            "misuse",
            actions=[
                {
                    "type": "schedule_workflow_on_list",
                    "list": "{{ [] }}",
                    "workflow": "greet",
                    "at": "{{ item }}",
                    "params": {"customer": "{{ item }}", "position": "{{ index }}"},
                }
            ],
        )


def test_negative_interval_is_refused(make_workflow, greet, customers, user):
    wf = on_list(make_workflow, interval=-5)
    result = engine.run(wf, {}, user)
    assert "interval" in result.error.message
    assert not ScheduledRun.objects.exists()


def test_cancel_scheduled_and_cancel_scheduled_list(make_workflow, greet, customers, user, drain):
    wf = on_list(make_workflow)
    ids = engine.run(wf, {}, user).response["ids"]
    canceller = make_workflow(
        "cancel-some",
        parameters=[{"key": "one", "type": "text"}, {"key": "many", "type": "text", "list": True}],
        actions=[
            {"id": "a", "type": "cancel_scheduled", "run": "{{ params.one }}"},
            {"id": "b", "type": "cancel_scheduled_list", "runs": "{{ params.many }}"},
            {"id": "c", "type": "cancel_scheduled", "run": "{{ params.one }}"},
            {
                "type": "return_data",
                "data": {"a": "{{ steps.a }}", "b": "{{ steps.b }}", "c": "{{ steps.c }}"},
            },
        ],
    )
    result = engine.run(canceller, {"one": ids[0], "many": [*ids[1:3], "not-an-id"]}, user)
    assert result.response == {"a": 1, "b": 2, "c": 0}
    assert drain() == [Status.SUCCEEDED] * 2
    assert ScheduledRun.objects.filter(status=Status.CANCELLED).count() == 3
