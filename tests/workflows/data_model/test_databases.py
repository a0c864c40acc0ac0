"""Development's own database (``VERSION_TEST_DATABASE_URL``, docs/versions.md): the things
of tests of development live there, everything else in the main database."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.utils import load_backend
from django.utils import timezone

from scheduler.models import ScheduledRun, Status
from tests.workflows.data_model.conftest import open_leads
from workflows import data_types
from workflows.data_model import databases, schema
from workflows.models import Run

pytestmark = pytest.mark.usefixtures("lead_type")


@pytest.fixture
def development_database(tmp_path, monkeypatch) -> Iterator[str]:
    """A second database under the alias ``version_test`` (a SQLite file), routed as the
    settings route it when ``VERSION_TEST_DATABASE_URL`` is set. A connection of this
    thread (the test client and the scheduler's drain run here), not a database of the
    settings: the test runner would make and check a test database for that."""
    path = str(tmp_path / "development.sqlite3")
    configured = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: connections.settings[DEFAULT_DB_ALIAS],
            databases.ALIAS: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": path,
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            },
        }
    )[databases.ALIAS]
    connections[databases.ALIAS] = load_backend(configured["ENGINE"]).DatabaseWrapper(
        configured, databases.ALIAS
    )
    monkeypatch.setattr(databases, "configured", lambda: True)
    monkeypatch.setattr(router, "routers", [databases.ThingsRouter()])
    monkeypatch.setattr(databases, "_synced", None)
    try:
        yield path
    finally:
        connections[databases.ALIAS].close()
        del connections[databases.ALIAS]


def leads(alias: str) -> list[str]:
    model = data_types.get_model("Lead")
    return sorted(model.objects.using(alias).values_list("email", flat=True))


def make_lead_workflow(make_workflow, *, then: list | None = None) -> None:
    make_workflow(
        "add-lead",
        expose=True,
        auth="none",
        ignore_privacy=True,
        parameters=[{"key": "email", "type": "text"}],
        actions=[
            {
                "id": "lead",
                "type": "create_thing",
                "data_type": "Lead",
                "fields": {"email": "{{ params.email }}"},
            },
            *(then or []),
            {
                "type": "return_data",
                "data": {"count": "{{ search('Lead') | count }}"},
            },
        ],
    )


def test_a_test_call_writes_and_reads_development_s_things(
    development_database, make_workflow, api
):
    make_lead_workflow(make_workflow)
    live = api.post("/api/1.1/wf/add-lead", {"email": "live@example.com"}, format="json")
    test = api.post("/version-test/api/1.1/wf/add-lead", {"email": "t@example.com"}, format="json")
    assert live.status_code == test.status_code == 200, (live.content, test.content)
    # each call's search saw only its own database's things
    assert live.json()["response"]["count"] == test.json()["response"]["count"] == 1
    assert leads(DEFAULT_DB_ALIAS) == ["live@example.com"]
    assert leads(databases.ALIAS) == ["t@example.com"]
    # runs, and who ran them, stay in the main database, marked as before
    assert sorted(Run.objects.values_list("test", flat=True)) == [False, True]


def test_the_data_api_under_version_test_is_development_s_data(development_database, api, key):
    open_leads()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}  # the same key works on both
    made = api.post(
        "/version-test/api/1.1/obj/lead", {"email": "dev@example.com"}, format="json", **headers
    )
    assert made.status_code == 201, made.content
    api.post("/api/1.1/obj/lead", {"email": "live@example.com"}, format="json", **headers)
    test_list = api.get("/version-test/api/1.1/obj/lead", **headers).json()["response"]
    live_list = api.get("/api/1.1/obj/lead", **headers).json()["response"]
    assert [r["email"] for r in test_list["results"]] == ["dev@example.com"]
    assert [r["email"] for r in live_list["results"]] == ["live@example.com"]
    thing_id = made.json()["id"]
    got = api.get(f"/version-test/api/1.1/obj/lead/{thing_id}", **headers).json()
    assert got["response"]["Created By"] is not None  # the user, from the main database


def test_a_failed_test_run_keeps_nothing_in_development_s_database(
    development_database, make_workflow, api
):
    make_lead_workflow(make_workflow, then=[{"type": "return_data", "data": {"x": "{{ 1 / 0 }}"}}])
    answer = api.post(
        "/version-test/api/1.1/wf/add-lead", {"email": "t@example.com"}, format="json"
    )
    assert answer.status_code >= 400
    assert leads(databases.ALIAS) == [] and leads(DEFAULT_DB_ALIAS) == []
    assert Run.objects.get().status == "failed"


def test_a_test_run_s_scheduled_run_writes_development_s_things_when_it_fires(
    development_database, make_workflow, api, drain
):
    make_lead_workflow(make_workflow)
    make_workflow(
        "plan",
        expose=True,
        auth="none",
        actions=[
            {
                "type": "schedule_workflow",
                "workflow": "add-lead",
                "params": {"email": "later@example.com"},
            }
        ],
    )
    assert api.post("/version-test/api/1.1/wf/plan", {}, format="json").status_code == 200
    assert ScheduledRun.objects.get().test is True  # the Scheduler is the main database's
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert leads(databases.ALIAS) == ["later@example.com"]
    assert leads(DEFAULT_DB_ALIAS) == []


def test_a_field_added_later_reaches_development_s_tables(
    development_database, make_workflow, api, lead_type
):
    make_lead_workflow(make_workflow)
    api.post("/version-test/api/1.1/wf/add-lead", {"email": "a@example.com"}, format="json")
    schema.add_field(lead_type, {"name": "city", "type": "text"})
    make_workflow(
        "add-lead",
        expose=True,
        auth="none",
        ignore_privacy=True,
        actions=[
            {
                "type": "create_thing",
                "data_type": "Lead",
                "fields": {"email": "b@example.com", "city": "Paris"},
            },
            {
                "type": "return_data",
                "data": {"paris": "{{ search('Lead', city='Paris') | count }}"},
            },
        ],
    )
    answer = api.post("/version-test/api/1.1/wf/add-lead", {}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["response"]["paris"] == 1
    assert leads(databases.ALIAS) == ["a@example.com", "b@example.com"]


def test_sync_makes_the_tables_and_columns_the_main_database_has(development_database):
    made = databases.sync()
    assert any(m.startswith("things_") and "." not in m for m in made)
    assert databases.sync() == []  # nothing left to make
    with connections[databases.ALIAS].cursor() as cursor:
        tables = connections[databases.ALIAS].introspection.table_names(cursor)
    assert "auth_user" not in tables and "workflows_run" not in tables  # things only


def test_without_it_a_test_call_uses_the_live_data(make_workflow, api):
    make_lead_workflow(make_workflow)
    api.post("/version-test/api/1.1/wf/add-lead", {"email": "t@example.com"}, format="json")
    assert databases.configured() is False  # no VERSION_TEST_DATABASE_URL in the suite
    assert leads(DEFAULT_DB_ALIAS) == ["t@example.com"]
