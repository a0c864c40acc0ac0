"""Prepared INSERT and UPDATE statements (workflows/statements.py): what they write must be
what the ORM would have written, on every backend the suite runs on."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from workflows import statements
from workflows.models import Run, StepRun


def _run(**fields) -> Run:
    return Run(workflow_name="wf", params={"a": [1, "x", None]}, **fields)


def test_insert_writes_every_field_as_the_orm_reads_it(user):
    started = timezone.now() - datetime.timedelta(minutes=3)
    run = _run(actor=user, started_at=started, result=None, duration_ms=1.5)
    statements.insert([run])
    assert not run._state.adding and run._state.db == "default"
    stored = Run.objects.get(pk=run.pk)
    assert stored.actor == user and stored.started_at == started
    assert stored.params == {"a": [1, "x", None]} and stored.duration_ms == 1.5
    assert Run.objects.filter(pk=run.pk, result__isnull=True).exists()  # SQL NULL, not JSON null


def test_insert_of_rows_with_database_ids_in_batches(db, monkeypatch):
    """Steps have auto-increment ids: left to the database and not read back; more rows
    than one statement may carry are split."""
    run = _run()
    statements.insert([run])
    steps = [
        StepRun(run=run, position=i, action_type="log", status="succeeded", output={"i": i})
        for i in range(5)
    ]
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    statements.insert(steps)
    stored = list(StepRun.objects.filter(run=run).order_by("position"))
    assert [(s.position, s.output) for s in stored] == [(i, {"i": i}) for i in range(5)]
    assert len({s.pk for s in stored}) == 5 and steps[0].pk is None


def test_insert_of_nothing_is_no_statement(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        statements.insert([])


def test_update_is_guarded(user):
    run = _run()
    statements.insert([run])
    assert not statements.update(Run, run.pk, {"status": "failed"}, {"status": "succeeded"})
    assert Run.objects.get(pk=run.pk).status == "running"
    finished = timezone.now()
    changes = {"status": "succeeded", "result": {"ok": True}, "finished_at": finished}
    assert statements.update(Run, run.pk, {**changes, "actor": user}, {"status": "running"})
    stored = Run.objects.get(pk=run.pk)
    assert (stored.status, stored.result, stored.finished_at, stored.actor_id) == (
        "succeeded",
        {"ok": True},
        finished,
        user.pk,
    )


@pytest.mark.parametrize("pk_kind", ["unknown", "other"])
def test_update_of_another_row_changes_nothing(db, pk_kind):
    run, other = _run(), _run()
    statements.insert([run, other])
    target = other.pk if pk_kind == "other" else Run().pk
    assert statements.update(Run, target, {"status": "failed"}) == (pk_kind == "other")
    assert Run.objects.get(pk=run.pk).status == "running"
