"""The Runs list's search of the runs' text: what it finds, the index that keeps it fast,
and the bounded steps that keep every search under its budget."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.db import connection
from django.utils import timezone

from workflows import run_text_index
from workflows.admin import run_search
from workflows.choices import RunStatus
from workflows.models import Run

CHANGELIST = "/admin/workflows/run/"
migration = importlib.import_module("workflows.migrations.0017_run_search_indexes")
index_file_migration = importlib.import_module("workflows.migrations.0023_run_search_index_file")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's index file")


@pytest.fixture
def wf(make_workflow):
    return make_workflow("process-order", actions=[{"type": "log", "message": "x"}])


def found(client, q: str, **params) -> list[Run]:
    response = client.get(CHANGELIST, {"q": q, **params})
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def test_the_migrations_index_what_the_search_searches():
    assert migration.BODY["postgresql"] == run_search.BODY["postgresql"]
    assert migration.LIMIT == run_search.LIMIT == run_text_index.LIMIT
    assert migration.PG_INDEX == run_search.PG_INDEX
    # SQLite's triggers see a change of the text the index holds
    assert index_file_migration.BODY == run_text_index.BODY
    assert index_file_migration.QUEUE == run_search.QUEUE == run_text_index.QUEUE
    assert index_file_migration.STATE == run_text_index.STATE


def test_the_database_has_the_index(db):
    run_search.forget_index_state()
    if connection.vendor == "sqlite":  # once the scheduler has built it
        run_text_index.catch_up()
    assert run_search.has_index()


def test_finds_text_in_parameters_result_error_and_workflow_name(root_client, wf, make_run):
    by_param = make_run(
        wf, params={"order": {"_type": "examples.Order", "_id": 7, "_display": "ORD-2024-0042"}}
    )
    by_result = make_run(wf, result={"tracking": "1Z999AA10123456784"})
    by_error = make_run(
        wf,
        status=RunStatus.FAILED,
        error_code="ACTION_FAILED",
        error_message="gateway timeout at Stripe",
    )
    make_run(wf, params={"order": "other"})
    assert found(root_client, "ORD-2024-0042") == [by_param]
    assert found(root_client, "2024-00") == [by_param]  # any part of a word
    assert found(root_client, "1z999aa1") == [by_result]  # ASCII letters in any case
    assert found(root_client, "timeout at stripe") == [by_error]
    assert found(root_client, "ACTION_FAILED") == [by_error]
    assert len(found(root_client, "process-order")) == 4


def test_finds_text_json_stores_escaped(root_client, wf, make_run):
    accented = make_run(wf, params={"city": "Besançon"})
    quoted = make_run(wf, params={"note": 'she said "hello"'})
    make_run(wf, params={"city": "Paris"})
    assert found(root_client, "Besançon") == [accented]
    assert found(root_client, 'said "hello"') == [quoted]


def test_like_wildcards_are_searched_as_text(root_client, wf, make_run):
    percent = make_run(wf, params={"discount": "50% off"})
    make_run(wf, params={"discount": "50 off"})
    make_run(wf, params={"code": "A_B"})
    assert found(root_client, "50% o") == [percent]
    assert found(root_client, "0%_") == []
    assert run_search.like_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


def test_a_run_id_finds_that_run(root_client, wf, make_run):
    run = make_run(wf)
    make_run(wf)
    assert found(root_client, str(run.pk)) == [run]


def test_short_text_is_refused_with_a_message(root_client, wf, make_run):
    make_run(wf, params={"x": "ab"})
    response = root_client.get(CHANGELIST, {"q": "ab"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert any("at least 3 characters" in str(m) for m in response.context["messages"])


def test_search_combines_with_the_filters(root_client, wf, make_run, user):
    mine = make_run(wf, actor=user, params={"sku": "WIDGET-9"})
    make_run(wf, params={"sku": "WIDGET-9"})
    failed = make_run(wf, status=RunStatus.FAILED, error_code="X", params={"sku": "WIDGET-9"})
    assert found(root_client, "widget-9", user="alice") == [mine]
    assert found(root_client, "widget-9", status__exact="failed") == [failed]


# --- the index follows the run log --------------------------------------------------------


@pytest.fixture(params=["as they are", "after the scheduler's catch-up"])
def settle(request):
    """Searches are right whether or not SQLite's index file has caught up with the runs:
    ``settle()`` does nothing, or brings the index up to date (PostgreSQL's is always)."""

    def catch_up():
        if request.param != "as they are" and connection.vendor == "sqlite":
            run_text_index.catch_up()

    if connection.vendor == "sqlite":
        run_text_index.catch_up()  # built, for this test's database
        assert run_search.has_index()  # the searches below read it
    return catch_up


def ids(texts: list[str]) -> list:
    return run_search.indexed_ids(texts).ids


def test_runs_are_indexed_when_they_end_and_forgotten_when_deleted(wf, make_run, settle):
    running = make_run(wf, status=RunStatus.RUNNING, params={"k": "UNIQUE-RUNNING"})
    settle()
    assert ids(["UNIQUE-RUNNING"]) == []  # not ended: not indexed
    Run.objects.filter(pk=running.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), result={"r": "UNIQUE-RESULT"}
    )
    settle()
    assert ids(["UNIQUE-RUNNING"]) == [running.pk]
    assert ids(["unique-result"]) == [running.pk]
    # an ended run's text changed: the index follows
    Run.objects.filter(pk=running.pk).update(error_message="UNIQUE-LATER")
    settle()
    assert ids(["UNIQUE-LATER"]) == [running.pk]
    assert ids(["UNIQUE-RUNNING"]) == [running.pk]
    Run.objects.filter(pk=running.pk).update(params={"k": "replaced"})
    settle()
    assert ids(["UNIQUE-RUNNING"]) == []
    Run.objects.filter(pk=running.pk).delete()
    settle()
    assert ids(["UNIQUE-LATER"]) == []


def test_only_the_first_characters_of_a_run_are_searched(wf, make_run, settle):
    run = make_run(wf, params={"pad": "x" * run_search.LIMIT, "tail": "FAR-AWAY"})
    make_run(wf, params={"near": "NEAR-BY"})
    settle()
    assert ids(["FAR-AWAY"]) == []
    assert ids(["NEAR-BY"]) != []
    assert run.pk not in ids(["NEAR-BY"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram index")
def test_postgresql_uses_the_trigram_index(wf, make_run):
    for i in range(50):
        make_run(wf, params={"k": f"value-{i}"})
    body = run_search.BODY["postgresql"].format(p="")
    where = f"finished_at IS NOT NULL AND {body} ILIKE %s"
    sql = f"EXPLAIN SELECT id FROM {run_search.TABLE} WHERE {where}"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # on a table this small the planner may as well read the run statistics' partial
        # index of finished runs and filter; without it, only the text index is left
        cursor.execute("DROP INDEX IF EXISTS run_finished_idx")  # undone with the test
        cursor.execute(sql, ["%value-7%"])
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert run_search.PG_INDEX in plan


# --- the bounded steps --------------------------------------------------------------------


@pytest.fixture
def small_bounds(monkeypatch):
    monkeypatch.setattr(run_search, "WINDOW", 3)
    monkeypatch.setattr(run_search, "INDEX_CAP", 4)


@pytest.fixture
def timeline(wf, make_run):
    """Runs one minute apart, the newest first: ``make(i, **fields)`` is i minutes old."""
    now = timezone.now()

    def make(minutes: int, **fields) -> Run:
        return make_run(wf, started_at=now - datetime.timedelta(minutes=minutes), **fields)

    return make


def test_a_rare_text_beyond_the_recent_runs_is_found_through_the_index(
    root_client, timeline, small_bounds, settle
):
    old = timeline(30, params={"k": "RARE-ONE"})
    for minutes in range(5):
        timeline(minutes, params={"k": "common"})
    settle()
    response = root_client.get(CHANGELIST, {"q": "RARE-ONE"})
    assert list(response.context["cl"].result_list) == [old]
    assert response.context["run_search"]["complete"] is True
    assert 'id="run-search-partial"' not in response.content.decode()


def test_a_common_text_fills_the_page_from_the_recent_runs(
    root_client, timeline, small_bounds, monkeypatch
):
    from workflows.admin.runs import RunAdmin

    monkeypatch.setattr(RunAdmin, "list_per_page", 1)
    newest = [timeline(minutes, params={"k": "everywhere"}) for minutes in range(6)]
    calls = []
    monkeypatch.setattr(
        run_search, "indexed_ids", lambda *a, **k: calls.append(a) or run_search.Matches([], True)
    )
    response = root_client.get(CHANGELIST, {"q": "everywhere"})
    assert list(response.context["cl"].result_list) == newest[:1]
    assert 'id="run-older"' in response.content.decode()
    assert calls == []  # the recent runs answered: the index was not read


def test_a_text_common_elsewhere_but_rare_here_says_what_was_searched(
    root_client, timeline, small_bounds, user, settle
):
    """Common overall (more than INDEX_CAP runs), but in the filters' runs only beyond the
    WINDOW most recent: the page shows what the recent runs hold and says so."""
    for minutes in range(6):
        timeline(minutes, params={"k": "popular"})  # anonymous
    mine_recent = timeline(10, actor=user, params={"k": "popular"})
    for minutes in range(11, 14):
        timeline(minutes, actor=user, params={"k": "other"})
    timeline(20, actor=user, params={"k": "popular"})  # beyond alice's 3 most recent
    settle()
    response = root_client.get(CHANGELIST, {"q": "popular", "user": "alice"})
    assert list(response.context["cl"].result_list) == [mine_recent]
    assert response.context["run_search"]["complete"] is False
    notice = response.content.decode().split('id="run-search-partial"', 1)[1].split("</p>", 1)[0]
    assert "Only the 3 most recent runs the filters select were searched" in notice
    # a time window moves the search back
    old_from = (timezone.localtime() - datetime.timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M")
    old_to = (timezone.localtime() - datetime.timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M")
    response = root_client.get(
        CHANGELIST,
        {"q": "popular", "user": "alice", "started_from": old_from, "started_to": old_to},
    )
    assert [r.params for r in response.context["cl"].result_list] == [{"k": "popular"}]
    assert response.context["run_search"]["complete"] is True


def test_without_the_index_search_still_works_and_the_page_says_so(
    root_client, wf, make_run, monkeypatch
):
    run = make_run(wf, params={"k": "NO-INDEX"})
    monkeypatch.setattr(run_search, "has_index", lambda: False)
    response = root_client.get(CHANGELIST, {"q": "NO-INDEX"})
    assert list(response.context["cl"].result_list) == [run]
    assert 'id="run-search-unindexed"' in response.content.decode()
    assert run_search.indexed_ids(["NO-INDEX"], vendor=connection.vendor).ids == [run.pk]


def test_the_system_check_warns_when_the_index_is_missing(db, monkeypatch):
    run_search.forget_index_state()
    assert run_search.check_text_index(None, databases=["default"]) == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {run_search.PG_INDEX}")
    else:  # a Python whose SQLite has no FTS5 trigram tokenizer
        monkeypatch.setattr(run_text_index, "_AVAILABLE", False)
    try:
        (warning,) = run_search.check_text_index(None, databases=["default"])
        assert warning.id == "workflows.W020"
        assert "no index" in warning.msg
    finally:
        run_search.forget_index_state()


def test_the_migration_goes_on_without_the_index_when_pg_trgm_is_refused(capsys):
    """A database user who may not create the extension: the migration says what to run
    and makes no index (the search then reads the table)."""
    from django.db import DatabaseError

    executed = []

    class Cursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params=None):
            executed.append(sql)
            if sql.startswith("CREATE EXTENSION"):
                raise DatabaseError("permission denied to create extension")

        def fetchone(self):
            return None  # pg_trgm is not installed

    class Editor:
        class connection:  # noqa: N801 - a stand-in for the schema editor's connection
            vendor = "postgresql"

            @staticmethod
            def cursor():
                return Cursor()

    migration.create_text_index(None, Editor())
    assert not any("CREATE INDEX" in sql for sql in executed)
    said = capsys.readouterr().out
    assert "may not create the extension pg_trgm" in said
    assert "CREATE EXTENSION pg_trgm" in said and "migrate workflows 0014" in said
