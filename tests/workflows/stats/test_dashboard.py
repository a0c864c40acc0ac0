"""The dashboard on the admin's index, through Django's test client: what it shows for the
last 24 hours and 7 days, to whom, and at what cost."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from workflows.choices import RunSource, RunStatus
from workflows.stats import dashboard
from workflows.stats.rollup import close_hours

from .conftest import at

NOW = at(30, minutes=20)  # hour 30 after T0 is the current one


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def root(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def index(client: Client, **query: str) -> str:
    response = client.get(reverse("admin:index"), query)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str) -> str:
    """The dashboard's own HTML."""
    found = re.search(
        r'<section id="dashboard".*?</section>\s*</section>|<section id="dashboard".*', html, re.S
    )
    assert found, "no dashboard on the index"
    return found.group(0)


def bars(html: str) -> list[str]:
    """Each hour's bar title in the chart."""
    return re.findall(r"<g><title>([^<]*)</title>", html)


def test_the_index_shows_the_last_24_hours(root, now, finished_run, make_workflow):
    make_workflow("send-invoice")
    for minute in (1, 2, 3):
        finished_run(at(29, minutes=minute), workflow="send-invoice", duration_ms=200)
    failed = finished_run(
        at(30, minutes=5),
        workflow="send-invoice",
        status=RunStatus.FAILED,
        error_code="HTTP_ERROR",
        error_message="the payment service answered 502",
    )
    finished_run(at(28), workflow="sync", source=RunSource.SCHEDULED, duration_ms=9000)
    finished_run(at(1), workflow="old")  # more than 24 hours ago
    html = index(root)
    board = section(html)
    assert "Runs — last 24 hours" in board
    assert len(bars(board)) == 24
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)", board))
    assert figures["Runs finished"] == "5" and figures["Succeeded"] == "4"
    assert figures["Failed"] == "1"
    # failed most, with its last error and a link to that run
    failing = board.split('id="dashboard-failing"')[1].split("</section>")[0]
    assert "send-invoice" in failing and "HTTP_ERROR" in failing
    assert "the payment service answered 502" in failing
    assert reverse("admin:workflows_run_change", args=[failed.pk]) in failing
    assert "of 4 (25.0%)" in failing
    # durations, slowest p95 first, estimated from the buckets
    durations = board.split('id="dashboard-durations"')[1].split("</section>")[0]
    assert durations.index("sync") < durations.index("send-invoice")
    assert "old" not in durations
    # the chart's table holds the same figures as text
    table = board.split("<details")[1].split("</details>")[0]
    assert len(re.findall(r'<th scope="row">', table)) == 24


def test_seven_days_count_what_24_hours_do_not(root, now, finished_run):
    finished_run(at(1), workflow="old")
    finished_run(at(30))
    board = section(index(root, dashboard="7d"))
    assert "Runs — last 7 days" in board
    assert len(bars(board)) == 168
    assert re.search(r"<dt>Runs finished</dt><dd>2<", board)
    assert 'aria-current="page">Last 7 days' in board


def test_an_unknown_period_shows_the_default(root, now):
    assert "Runs — last 24 hours" in section(index(root, dashboard="<script>"))


def test_closed_hours_and_live_runs_show_the_same(root, now, finished_run):
    for hour in range(10, 31):
        finished_run(
            at(hour, minutes=15), status=RunStatus.FAILED if hour % 5 == 0 else "succeeded"
        )
    live = section(index(root, dashboard="7d"))
    close_hours(now=NOW)
    closed = section(index(root, dashboard="7d"))
    assert bars(live) == bars(closed)
    assert re.search(r"<dt>Runs finished</dt><dd>21<", closed)


def test_its_cost_does_not_grow_with_the_runs(
    root, now, finished_run, django_assert_max_num_queries
):
    for i in range(40):
        finished_run(at(20 + i % 10, minutes=i), workflow=f"wf-{i % 4}", status=RunStatus.FAILED)
    close_hours(now=at(25))
    with django_assert_max_num_queries(45) as few:
        index(root)
    for i in range(400):
        finished_run(
            at(20 + i % 10, minutes=i % 60), workflow=f"wf-{i % 4}", status=RunStatus.FAILED
        )
    close_hours(now=at(25))
    with django_assert_max_num_queries(len(few.captured_queries)):
        index(root)


def test_staff_who_may_not_view_runs_see_no_dashboard(staff_user, now, finished_run):
    finished_run(at(30))
    client = Client()
    client.force_login(staff_user)
    assert 'id="dashboard"' not in index(client)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_run"))
    client.force_login(staff_user)
    html = index(client)
    assert 'id="dashboard"' in html
    assert 'id="dashboard-scheduler"' not in html  # no view_scheduledrun


def test_it_says_when_the_statistics_are_behind(root, now, finished_run):
    finished_run(at(30))
    assert "not been rolled up" not in index(root)
    finished_run(at(20))
    assert "The run statistics have not been rolled up yet" in index(root)
    close_hours(now=at(21))
    html = index(root)
    assert "were last rolled up for runs before" in html
    close_hours(now=NOW)
    assert "rolled up" not in index(root)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "–"),
        (0.0031, "3.1 ms"),
        (1.25, "1.25 s"),
        (125, "2 min 5 s"),
        (120, "2 min"),
        (4000, "≥ 1 h"),
    ],
)
def test_durations_read_as_people_write_them(seconds, text):
    assert dashboard.seconds_text(seconds) == text
