"""The worker's prepared load of a scheduled run gives the instances the ORM gives: every
field of the scheduled run and its user, the workflow's read columns, on each database."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheduler import services
from scheduler.loading import WORKFLOW_FIELDS, load_scheduled_run
from scheduler.models import ScheduledRun, Status


@pytest.fixture
def parameterized(make_workflow):
    return make_workflow(
        "greet",
        kind="api",
        parameters=[
            {"key": "name", "type": "text"},
            {"key": "count", "type": "number"},
            {"key": "when", "type": "date", "optional": True},
            {"key": "tags", "type": "text", "list": True, "optional": True},
        ],
        actions=[{"type": "log", "message": "{{ params.name }}"}],
        timeout=42,
        retries=2,
    )


def _fields(instance, names=None) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if names is None or f.name in names
    }


def _scheduled(workflow, actor) -> ScheduledRun:
    row = services.schedule(
        workflow,
        {"name": "Ada ✓", "count": 2.5, "when": "2026-12-01T10:00:00Z", "tags": ["a", "b"]},
        timezone.now() + datetime.timedelta(hours=1),
        actor=actor,
        ignore_privacy=True,
        context={"thing": {"type": "examples.Order", "id": 7}},
    )
    ScheduledRun.objects.filter(pk=row.pk).update(
        attempts=3, last_error="boom", lease_expires_at=timezone.now()
    )
    return row


def test_every_field_is_what_the_orm_reads(parameterized, user):
    get_user_model().objects.filter(pk=user.pk).update(last_login=timezone.now())
    pk = _scheduled(parameterized, user).pk
    orm = ScheduledRun.objects.select_related("workflow", "actor").get(pk=pk)

    loaded = load_scheduled_run(str(pk))

    assert _fields(loaded) == _fields(orm)
    assert _fields(loaded.workflow, WORKFLOW_FIELDS) == _fields(orm.workflow, WORKFLOW_FIELDS)
    assert _fields(loaded.actor) == _fields(orm.actor)
    assert isinstance(loaded.pk, uuid.UUID) and loaded.due_at.tzinfo is not None
    assert loaded.params["tags"] == ["a", "b"] and loaded.ignore_privacy is True
    assert not loaded._state.adding and loaded._state.db == "default"


def test_its_relations_cost_no_further_query(parameterized, user):
    pk = _scheduled(parameterized, user).pk
    with CaptureQueriesContext(connection) as queries:
        loaded = load_scheduled_run(pk)
        assert loaded.workflow.timeout == 42 and loaded.actor.username == user.username
    assert len(queries) == 1


def test_a_workflow_column_not_loaded_is_read_on_access(parameterized, user):
    loaded = load_scheduled_run(_scheduled(parameterized, user).pk)
    assert loaded.workflow.kind == "api"  # deferred: one query, as with .defer()


def test_a_run_without_a_user_and_a_missing_run(parameterized):
    row = _scheduled(parameterized, None)
    loaded = load_scheduled_run(row.pk)
    assert loaded.actor is None and loaded.actor_id is None and loaded.status == Status.SCHEDULED
    assert load_scheduled_run(uuid.uuid4()) is None
