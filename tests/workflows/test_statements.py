"""Prepared INSERT and UPDATE statements (workflows/statements.py): what they write must be
what the ORM would have written, on every backend the suite runs on."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflows import statements
from workflows.models import ApiKey, Run, StepRun, Workflow
from workflows.selectors import exposed_workflow


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


def test_an_enum_member_and_a_number_in_text_are_written_as_the_orm_writes_them(user):
    """Each value goes through its field's own preparation, as ``save()`` does: a choice's
    enum member is written as its text, ``"2"`` in a number field as 2, nothing as NULL."""
    from workflows.choices import RunSource, RunStatus

    run = _run(
        actor_id=user.pk,
        status=RunStatus.FAILED,  # a str enum member: converted by the field
        source="api",
        depth="2",  # text in a number field: the field's conversion makes it 2
        error_message="",
        result=None,  # nothing: SQL NULL
    )
    statements.insert([run])
    by_orm = _run(
        actor_id=user.pk, status="failed", source=RunSource.API, depth=2, error_message=""
    )
    by_orm.save()
    picked = ("actor_id", "status", "source", "depth", "error_message", "result")
    ours, theirs = (Run.objects.filter(pk=r.pk).values(*picked).get() for r in (run, by_orm))
    assert (
        ours
        == theirs
        == {
            "actor_id": user.pk,
            "status": "failed",
            "source": "api",
            "depth": 2,
            "error_message": "",
            "result": None,
        }
    )


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


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_select_one_reads_what_the_orm_reads(make_workflow, monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_HOOK", "s3cret")
    make_workflow(
        "greet",
        kind="api",
        expose=True,
        description="Says hello ✓",
        actions=[{"type": "log", "message": "hi"}],
        webhook={"secret": "HOOK", "scheme": "stripe"},
    )
    loaded = exposed_workflow("greet")
    assert _fields(loaded) == _fields(Workflow.objects.get(name="greet"))
    assert loaded.webhook == {"secret": "HOOK", "scheme": "stripe"}
    assert loaded.updated_at.tzinfo is not None and not loaded._state.adding


def test_select_one_matches_every_condition(make_workflow):
    make_workflow("hidden", kind="api", expose=False, actions=[{"type": "log", "message": "x"}])
    assert statements.select_one(Workflow, {"name": "hidden", "expose": True}) is None
    assert statements.select_one(Workflow, {"name": "hidden", "expose": False}) is not None
    assert statements.select_one(Workflow, {"name": "nobody"}) is None


def test_select_one_joins_related_rows_in_one_query(user, key):
    prefix = key.partition(".")[0]
    orm = ApiKey.objects.select_related("user").get(prefix=prefix)
    with CaptureQueriesContext(connection) as queries:
        loaded = statements.select_one(ApiKey, {"prefix": prefix}, related={"user": None})
        assert loaded.user.username == user.username and loaded.is_valid(key)
    assert len(queries) == 1
    assert _fields(loaded) == _fields(orm) and _fields(loaded.user) == _fields(orm.user)


def test_select_one_with_only_some_fields_defers_the_rest(user):
    run = _run(actor=user)
    statements.insert([run])
    loaded = statements.select_one(
        Run, {"pk": run.pk}, only=frozenset({"status"}), related={"actor": frozenset({"username"})}
    )
    assert loaded.get_deferred_fields() >= {"params", "workflow_name"}
    assert loaded.actor.get_deferred_fields() >= {"email", "password"}
    assert (loaded.status, loaded.actor.username) == ("running", user.username)
    assert loaded.params == {"a": [1, "x", None]}  # loaded on access


def test_select_one_of_a_null_relation_is_none_without_a_query(db):
    run = _run()
    statements.insert([run])
    loaded = statements.select_one(Run, {"pk": run.pk}, related={"actor": None, "parent": None})
    with CaptureQueriesContext(connection) as queries:
        assert loaded.actor is None and loaded.parent is None
    assert not queries


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="data-modifying CTEs are PostgreSQL's"
)


@postgresql_only
@pytest.mark.parametrize("guard_holds", [True, False])
def test_update_then_insert_inserts_only_when_the_update_changed_a_row(user, guard_holds):
    claimed = _run()
    statements.insert([claimed])
    log = _run(actor=user, started_at=timezone.now(), result={"n": 1}, duration_ms=2.5)
    guards = {"status": "running" if guard_holds else "succeeded"}
    done = statements.update_then_insert(Run, claimed.pk, {"status": "failed"}, guards, log)
    assert done is guard_holds
    assert Run.objects.get(pk=claimed.pk).status == ("failed" if guard_holds else "running")
    if guard_holds:
        assert _fields(Run.objects.get(pk=log.pk)) == _fields(log)
        assert not log._state.adding
    else:
        assert not Run.objects.filter(pk=log.pk).exists() and log._state.adding


def test_update_then_insert_is_offered_on_postgresql_only(db):
    assert statements.can_update_then_insert(Run) is (connection.vendor == "postgresql")


def test_first_value_reads_the_current_value_each_time_in_one_query(
    make_workflow, django_assert_num_queries
):
    """Its SQL is compiled once; its answer is never kept: a deploy is seen at once."""
    from workflows.models import Version
    from workflows.versions.deploy import deploy

    highest = statements.FirstValue(
        Version, lambda: Version.objects.order_by("-number").values_list("number", flat=True)
    )
    assert highest() is None
    make_workflow("wf")
    deploy(message="1")
    make_workflow("wf", description="changed")
    deploy(message="2")
    with django_assert_num_queries(1):
        assert highest() == 2
