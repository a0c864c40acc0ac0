"""The Runs list: read-only, filtered by workflow, status, source, time window and user,
failed runs marked, paged without counting."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from workflows.admin import runs as runs_admin
from workflows.choices import RunSource, RunStatus, StepStatus
from workflows.models import Run, StepRun

CHANGELIST = "/admin/workflows/run/"


@pytest.fixture
def wf(make_workflow):
    return make_workflow("process-order", actions=[{"type": "log", "message": "x"}])


@pytest.fixture
def run(make_run, wf, user):
    parent = make_run(wf, source=RunSource.API)
    run = make_run(
        wf,
        actor=user,
        parent=parent,
        source=RunSource.SCHEDULED,
        params={"note": "<script>alert('p')</script>"},
        result={"ok": True},
        steps=[
            {"step_id": "first", "inputs": {"html": "<b>bold</b>"}, "output": {"n": 1}},
            {"action_type": "return_data", "status": StepStatus.SKIPPED, "condition_result": False},
        ],
    )
    make_run(wf, parent=run, source=RunSource.CUSTOM_EVENT)
    return run


def change_url(run) -> str:
    return f"/admin/workflows/run/{run.pk}/change/"


def shown(response) -> list[Run]:
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def test_changelist_shows_runs_without_counting_them(root_client, run, make_run):
    make_run(workflow_name="other", status=RunStatus.FAILED)
    response = root_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"process-order" in response.content and b"other" in response.content
    cl = response.context["cl"]
    assert cl.show_full_result_count is False
    assert cl.date_hierarchy is None
    assert cl.full_result_count is None
    assert "Page 1" in response.content.decode()


def test_filters_by_workflow_status_and_source(root_client, run, make_run, wf):
    make_run(workflow_name="other", status=RunStatus.FAILED)
    failed = root_client.get(CHANGELIST, {"status__exact": "failed"})
    assert [r.workflow_name for r in shown(failed)] == ["other"]
    assert len(shown(root_client.get(CHANGELIST, {"workflow__id__exact": wf.pk}))) == 3
    assert shown(root_client.get(CHANGELIST, {"source__exact": "scheduled"})) == [run]
    # the workflow filter lists workflows from their table
    response = root_client.get(CHANGELIST)
    spec = next(f for f in response.context["cl"].filter_specs if f.title == "workflow")
    assert [name for _, name in spec.lookup_choices] == ["process-order"]


def test_failed_runs_are_marked_in_words_and_with_their_error(root_client, make_run):
    make_run(
        workflow_name="charge",
        status=RunStatus.FAILED,
        error_code="ACTION_FAILED",
        error_message="the payment gateway answered 502 " + "x" * 200,
    )
    make_run(workflow_name="fine")
    html = root_client.get(CHANGELIST).content.decode()
    assert 'class="run-badge run-badge-failed">✗ Failed</span>' in html
    assert 'class="run-badge run-badge-ok">✓ Succeeded</span>' in html
    assert "<strong>ACTION_FAILED</strong> the payment gateway answered 502" in html
    assert "x" * 150 not in html  # the error is summarized in the list


@pytest.fixture
def runs_in_time(make_run, wf, frozen_now):
    def at(**delta: float) -> Run:
        return make_run(wf, started_at=frozen_now - datetime.timedelta(**delta))

    return {
        "minutes": at(minutes=10),
        "hours": at(hours=5),
        "days": at(days=3),
        "weeks": at(days=20),
        "months": at(days=60),
    }


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("1h", ["minutes"]),
        ("24h", ["minutes", "hours"]),
        ("7d", ["minutes", "hours", "days"]),
        ("30d", ["minutes", "hours", "days", "weeks"]),
    ],
)
def test_time_window_filter(root_client, runs_in_time, window, expected):
    names = {r.pk: name for name, r in runs_in_time.items()}
    response = root_client.get(CHANGELIST, {"started": window})
    assert [names[r.pk] for r in shown(response)] == expected


def test_time_window_from_to(root_client, runs_in_time, frozen_now):
    names = {r.pk: name for name, r in runs_in_time.items()}
    local = timezone.localtime(frozen_now)
    start = (local - datetime.timedelta(days=25)).strftime("%Y-%m-%dT%H:%M")
    end = (local - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = root_client.get(CHANGELIST, {"started_from": start, "started_to": end})
    assert [names[r.pk] for r in shown(response)] == ["days", "weeks"]
    # a date alone: from its start, to its end
    day = (local - datetime.timedelta(days=3)).date().isoformat()
    response = root_client.get(CHANGELIST, {"started_from": day, "started_to": day})
    assert [names[r.pk] for r in shown(response)] == ["days"]


def test_a_bad_date_is_named_not_an_error_page(root_client, runs_in_time):
    response = root_client.get(CHANGELIST, {"started_from": "last tuesday"}, follow=True)
    assert response.status_code == 200
    text = [str(m) for m in response.context["messages"]]
    assert any("Started From" in m and "'last tuesday' is not a date" in m for m in text)
    assert len(shown(response)) == 5  # the bad bound filters nothing
    response = root_client.get(CHANGELIST, {"started": "1y"})
    assert response.status_code == 200
    assert any("unknown window" in str(m) for m in response.context["messages"])


def test_user_filter_by_username_or_email(root_client, make_run, wf, user, other_user):
    mine = make_run(wf, actor=user)
    make_run(wf, actor=other_user)
    make_run(wf)  # anonymous
    assert shown(root_client.get(CHANGELIST, {"user": "alice"})) == [mine]
    assert shown(root_client.get(CHANGELIST, {"user": "ALICE@Example.com"})) == [mine]
    response = root_client.get(CHANGELIST, {"user": "nobody@example.com"})
    assert shown(response) == []
    assert any("nobody has the username or email" in str(m) for m in response.context["messages"])


def test_user_filter_looks_users_up_by_index_first(root_client, make_run, wf, user):
    """Two indexed lookups at most (username, then lower-cased email), then the runs."""
    make_run(wf, actor=user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        root_client.get(CHANGELIST, {"user": "alice@example.com"})
    user_queries = [
        q["sql"] for q in queries if 'FROM "auth_user"' in q["sql"] and "LOWER" in q["sql"].upper()
    ]
    assert user_queries, "the email is looked up by its lower-cased index"
    assert all("LIKE" not in sql.upper() for sql in user_queries)


def test_filter_forms_keep_the_other_filters(root_client, make_run, wf):
    make_run(wf)
    html = root_client.get(CHANGELIST, {"status__exact": "failed", "q": "abc"}).content.decode()
    form = html.split('id="run-filter-user"', 1)[1].split("</form>", 1)[0]
    assert 'name="status__exact" value="failed"' in form and 'name="q" value="abc"' in form


def test_pages_say_newer_and_older_and_count_nothing(root_client, make_run, wf, monkeypatch):
    monkeypatch.setattr(runs_admin.RunAdmin, "list_per_page", 2)
    now = timezone.now()
    made = [make_run(wf, started_at=now - datetime.timedelta(minutes=i)) for i in range(5)]
    first = root_client.get(CHANGELIST)
    assert shown(first) == made[:2]
    html = first.content.decode()
    assert 'id="run-older"' in html and 'id="run-newer"' not in html
    second = root_client.get(CHANGELIST, {"p": 2})
    assert shown(second) == made[2:4]
    html = second.content.decode()
    assert 'id="run-older"' in html and 'id="run-newer"' in html
    last = root_client.get(CHANGELIST, {"p": 3})
    assert shown(last) == made[4:]
    assert 'id="run-older"' not in last.content.decode()
    # a page past the end is Django's "bad lookup" redirect, not an error
    assert root_client.get(CHANGELIST, {"p": 9}).status_code == 302
    assert root_client.get(CHANGELIST, {"p": "x"}).status_code == 200


def test_the_list_never_counts_the_runs(root_client, make_run, wf):
    make_run(wf)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert root_client.get(CHANGELIST, {"status__exact": "succeeded"}).status_code == 200
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "workflows_run" in q["sql"]]


def test_the_log_cannot_be_written(root_client, run):
    assert root_client.get("/admin/workflows/run/add/").status_code == 403
    assert root_client.post(change_url(run), {"status": "failed"}).status_code == 403
    assert root_client.get(f"/admin/workflows/run/{run.pk}/delete/").status_code == 403
    assert (
        root_client.post(f"/admin/workflows/run/{run.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = root_client.get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()
    root_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [str(run.pk)], "post": "yes"}
    )
    assert Run.objects.filter(pk=run.pk).exists()
    assert StepRun.objects.filter(run=run).count() == 2
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED


def test_staff_with_view_permission_see_runs_and_steps(staff_user, run):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_run"))
    client = Client()
    client.force_login(staff_user)
    assert client.get(CHANGELIST).status_code == 200
    response = client.get(change_url(run))
    assert response.status_code == 200
    assert len(response.context["view"].steps) == 2


def test_staff_without_permission_cannot_see_runs(staff_user, run):
    client = Client()
    client.force_login(staff_user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(run)).status_code == 403


def test_durations_are_rounded_in_the_list_the_detail_and_the_steps(root_client, wf, make_run):
    run = make_run(
        wf,
        duration_ms=3.9812420000089332,
        steps=[{"step_id": "first", "duration_ms": 1234.5678}],
    )
    listing = root_client.get(CHANGELIST).content.decode()
    assert "3.98 ms" in listing and "3.9812" not in listing
    detail = root_client.get(change_url(run)).content.decode()
    assert "3.98 ms" in detail and "3.9812" not in detail
    assert "1,234.57 ms" in detail and "1234.5678" not in detail


@pytest.mark.parametrize(
    "query",
    [
        {"p": str(10**30)},
        {"p": "-5"},
        {"workflow__id__exact": str(10**30)},
        {"started_to": "9999-12-31"},
        {"started_from": "9999-12-31T23:59"},
    ],
)
def test_out_of_range_numbers_and_dates_are_no_server_error(root_client, run, query):
    """What a person may type in the URL answers a page (or the admin's own "bad filter"
    redirect), never a 500."""
    response = root_client.get(CHANGELIST, query)
    assert response.status_code in (200, 302), response.status_code


def test_scheduler_list_takes_any_page_number(root_client):
    response = root_client.get("/admin/scheduler/scheduledrun/", {"p": str(10**30)})
    assert response.status_code == 200
