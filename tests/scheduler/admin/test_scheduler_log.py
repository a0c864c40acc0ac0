"""The Scheduler log: upcoming runs, every filter, counts, links, masked parameters."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduler import admin as scheduler_admin
from scheduler.models import Origin, ScheduledRun, Status

from .conftest import CHANGELIST, at, shown


@pytest.fixture
def rows(sched, wf, other_wf, user, make_log):
    parent = make_log(wf)
    return {
        "past": sched(due_at=at(minutes=-30), actor=user),
        "queued": sched(due_at=at(minutes=-1), status=Status.QUEUED),
        "hour": sched(due_at=at(minutes=20), scheduled_by=parent, origin=Origin.LIST),
        "week": sched(due_at=at(days=3), workflow=other_wf, origin=Origin.API),
        "later": sched(due_at=at(days=30), origin=Origin.RECURRING),
        "running": sched(due_at=at(minutes=-5), status=Status.RUNNING, attempts=1),
        "done": sched(due_at=at(hours=-2), status=Status.SUCCEEDED, attempts=1, run=make_log(wf)),
        "failed": sched(due_at=at(hours=-3), status=Status.FAILED, attempts=3),
        "cancelled": sched(due_at=at(hours=5), status=Status.CANCELLED),
    }


def names(rows, listed) -> list[str]:
    by_pk = {row.pk: name for name, row in rows.items()}
    return [by_pk[row.pk] for row in listed]


def test_default_lists_upcoming_runs_by_due_time(root_client, rows):
    response = root_client.get(CHANGELIST)
    assert names(rows, shown(response)) == ["past", "queued", "hour", "week", "later"]
    html = response.content.decode()
    assert "<h1>Scheduler</h1>" in html
    assert "send-reminder" in html and "nightly-report" in html
    assert "alice" in html and "anonymous" in html  # who each runs as
    assert 'class="sched-badge sched-queued"' in html
    cl = response.context["cl"]
    assert cl.show_full_result_count is False and cl.date_hierarchy is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("upcoming", ["past", "queued", "hour", "week", "later"]),
        ("scheduled", ["past", "hour", "week", "later"]),
        ("queued", ["queued"]),
        ("running", ["running"]),
        ("succeeded", ["done"]),
        ("failed", ["failed"]),
        ("cancelled", ["cancelled"]),
        ("missed", []),
        (
            "all",
            ["failed", "done", "past", "running", "queued", "hour", "cancelled", "week"]
            + ["later"],
        ),
    ],
)
def test_status_filter(root_client, rows, status, expected):
    assert names(rows, shown(root_client.get(CHANGELIST, {"status": status}))) == expected


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("past", ["past", "queued"]),
        ("hour", ["hour"]),
        ("week", ["hour", "week"]),
        ("later", ["later"]),
    ],
)
def test_due_filter(root_client, rows, due, expected):
    assert names(rows, shown(root_client.get(CHANGELIST, {"due": due}))) == expected


def test_due_today_filter(root_client, rows):
    listed = names(rows, shown(root_client.get(CHANGELIST, {"due": "today", "status": "all"})))
    # whatever the time of day, the runs due tomorrow or later are not today's
    assert "week" not in listed and "later" not in listed
    assert set(listed) <= set(rows)


def test_workflow_and_origin_filters(root_client, rows, other_wf):
    by_workflow = shown(root_client.get(CHANGELIST, {"workflow__id__exact": other_wf.pk}))
    assert names(rows, by_workflow) == ["week"]
    response = root_client.get(CHANGELIST, {"origin__exact": "list"})
    assert names(rows, shown(response)) == ["hour"]
    spec = next(f for f in response.context["cl"].filter_specs if f.title == "workflow")
    # the choices come from the workflows table, not from DISTINCT over scheduled runs
    assert [c["display"] for c in spec.choices(response.context["cl"])][1:] == [
        "nightly-report",
        "send-reminder",
    ]
    assert root_client.get(CHANGELIST, {"workflow__id__exact": "x"}).status_code == 302


def test_every_filter_choice_renders(root_client, rows):
    cl = root_client.get(CHANGELIST).context["cl"]
    for spec in cl.filter_specs:
        for choice in spec.choices(cl):
            response = root_client.get(CHANGELIST + choice["query_string"])
            assert response.status_code == 200, (spec.title, choice)


def test_links_from_a_run_list_what_it_scheduled_and_executed(root_client, rows):
    parent = rows["hour"].scheduled_by
    by_parent = shown(root_client.get(CHANGELIST, {"scheduled_by__id__exact": str(parent.pk)}))
    assert names(rows, by_parent) == ["hour"]
    # a finished run is found too: a link from a run shows every status
    executed = rows["done"].run
    assert names(rows, shown(root_client.get(CHANGELIST, {"run__id__exact": executed.pk}))) == [
        "done"
    ]
    assert root_client.get(CHANGELIST, {"run__id__exact": "nope"}).status_code == 302


def test_search_by_id_run_id_or_workflow_name(root_client, rows):
    target = rows["week"]
    assert shown(root_client.get(CHANGELIST, {"q": str(target.pk)})) == [target]
    parent = rows["hour"].scheduled_by
    assert names(rows, shown(root_client.get(CHANGELIST, {"q": str(parent.pk)}))) == ["hour"]
    assert names(rows, shown(root_client.get(CHANGELIST, {"q": "nightly"}))) == ["week"]


def test_counts_by_status_are_shown_and_cached(root_client, rows, sched):
    response = root_client.get(CHANGELIST)
    counts = re.sub(r"\s+", " ", response.content.decode())
    assert "Scheduled: <strong>4</strong>" in counts
    assert "Queued (handed to a worker): <strong>1</strong>" in counts
    assert "Running: <strong>1</strong>" in counts
    assert "Past due: <strong>2</strong>" in counts

    sched()  # a new run: the counts stay cached for a few seconds
    with CaptureQueriesContext(connection) as ctx:
        response = root_client.get(CHANGELIST)
    assert "Scheduled: <strong>4</strong>" in re.sub(r"\s+", " ", response.content.decode())
    assert not [q for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    scheduler_admin.forget_counts()
    response = root_client.get(CHANGELIST)
    assert "Scheduled: <strong>5</strong>" in re.sub(r"\s+", " ", response.content.decode())


def _bare_counts(queries) -> list[str]:
    """COUNT queries over the scheduled runs that are bounded neither by WHERE nor LIMIT."""
    return [
        q["sql"]
        for q in queries
        if re.search(r"COUNT\(", q["sql"], re.I)
        and '"scheduler_scheduledrun"' in q["sql"]
        and not re.search(r"\bWHERE\b|\bLIMIT\b", q["sql"], re.I)
    ]


@pytest.mark.parametrize("params", [{}, {"status": "all"}, {"status": "all", "p": "2"}])
def test_no_count_of_the_whole_table(root_client, wf, params):
    ScheduledRun.objects.bulk_create(
        ScheduledRun(workflow=wf, due_at=at(minutes=i)) for i in range(150)
    )
    with CaptureQueriesContext(connection) as ctx:
        response = root_client.get(CHANGELIST, params)
    assert response.status_code == 200
    assert _bare_counts(ctx.captured_queries) == []
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts  # it does count, with a bound
    # the page itself is read as ids first, in due order, without Django's "-pk"
    page = [q["sql"] for q in ctx.captured_queries if '"id" AS "pk" FROM' in q["sql"]]
    assert page and all("ORDER BY" in sql and "DESC" not in sql for sql in page)


def test_long_lists_say_more_than_and_page_on(root_client, wf, monkeypatch):
    monkeypatch.setattr(scheduler_admin, "MIN_COUNTED", 120)
    monkeypatch.setattr(scheduler_admin, "PAGES_AHEAD", 0)
    ScheduledRun.objects.bulk_create(
        ScheduledRun(workflow=wf, due_at=at(minutes=i)) for i in range(250)
    )
    first = root_client.get(CHANGELIST)
    cl = first.context["cl"]
    assert cl.paginator.capped and cl.paginator.num_pages == 2
    html = first.content.decode()
    assert "more than 120 scheduled runs" in html
    assert "Select all matching scheduled runs (more than 120)" in html
    page_one = shown(first)
    assert len(page_one) == 100
    assert [r.due_at for r in page_one] == sorted(r.due_at for r in page_one)

    second = root_client.get(CHANGELIST, {"p": "2"})
    page_two = shown(second)
    assert len(page_two) == 100 and page_two[0].due_at > page_one[-1].due_at
    assert second.context["cl"].paginator.num_pages >= 3  # the count moved on with the page
    third = shown(root_client.get(CHANGELIST, {"p": "3"}))
    assert len(third) == 50
    everything = {r.pk for r in page_one + page_two + third}
    assert len(everything) == 250


def test_parameters_are_summarised_with_secrets_masked(root_client, sched):
    run = sched(params={"note": "hello <b>there</b>", "password": "hunter2", "n": 3})
    html = root_client.get(CHANGELIST).content.decode()
    assert "hunter2" not in html and "********" in html
    assert "hello &lt;b&gt;there&lt;/b&gt;" in html
    detail = root_client.get(reverse("admin:scheduler_scheduledrun_change", args=[run.pk]))
    assert "hunter2" not in detail.content.decode()


def test_change_page_is_read_only_and_links_both_ways(root_client, rows, make_log, wf):
    row = rows["hour"]
    row.run = make_log(wf)
    row.save()
    url = reverse("admin:scheduler_scheduledrun_change", args=[row.pk])
    response = root_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:workflows_run_change", args=[row.run_id]) in html
    assert reverse("admin:workflows_run_change", args=[row.scheduled_by_id]) in html
    assert reverse("admin:workflows_workflow_change", args=[wf.pk]) in html
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in html
    assert reverse("admin:scheduler_scheduledrun_cancel", args=[row.pk]) in html

    # the list links each run to the run that scheduled it and to its log
    listed = root_client.get(CHANGELIST, {"status": "all"}).content.decode()
    assert reverse("admin:workflows_run_change", args=[row.scheduled_by_id]) in listed
    assert reverse("admin:workflows_run_change", args=[rows["done"].run_id]) in listed

    # and the Runs log links back to the scheduled runs (scheduler.run_links)
    run_page = root_client.get(reverse("admin:workflows_run_change", args=[row.scheduled_by_id]))
    assert url in run_page.content.decode()

    # nothing is added, changed or deleted here
    assert root_client.post(url, {}).status_code == 403
    assert root_client.get(url.replace("/change/", "/delete/")).status_code == 403
    assert "delete_selected" not in root_client.get(CHANGELIST).content.decode()


def test_finished_run_offers_no_cancel_button(root_client, rows):
    url = reverse("admin:scheduler_scheduledrun_change", args=[rows["done"].pk])
    html = root_client.get(url).content.decode()
    assert "Cancel this run" not in html


def test_sorting_by_due_time_or_status(root_client, rows):
    newest_first = shown(root_client.get(CHANGELIST, {"o": "-2"}))
    assert names(rows, newest_first) == ["later", "week", "hour", "queued", "past"]
    by_status = shown(root_client.get(CHANGELIST, {"o": "3"}))
    assert names(rows, by_status) == ["queued", "past", "hour", "week", "later"]
    by_status_desc = shown(root_client.get(CHANGELIST, {"o": "-3"}))
    assert names(rows, by_status_desc) == ["later", "week", "hour", "past", "queued"]
    html = root_client.get(CHANGELIST).content.decode()
    assert 'class="sched-late"' in html  # the late runs are marked


def test_a_workflow_that_no_longer_compiles_keeps_the_pages_open(root_client, make_workflow, sched):
    """Its runs are what an operator comes to cancel: the list and the run's page open,
    every parameter masked (which ones are secret cannot be known)."""
    from workflows.models import Workflow

    make_workflow("helper", kind="custom_event", actions=[{"type": "log", "message": "x"}])
    caller = make_workflow(
        "caller", actions=[{"type": "trigger_custom_event", "workflow": "helper"}]
    )
    row = sched(workflow=caller, params={"card": "4242 4242"})
    Workflow.objects.filter(name="helper").delete()
    listing = root_client.get(CHANGELIST)
    assert listing.status_code == 200 and "4242" not in listing.content.decode()
    detail = root_client.get(reverse("admin:scheduler_scheduledrun_change", args=[row.pk]))
    assert detail.status_code == 200 and "4242" not in detail.content.decode()
