"""The runs dashboard on the admin's index in a real browser: its chart is drawn, switches
to seven days, has its table, links to a failed run, says what the scheduler has paused,
and fits a laptop's screen and a phone's (photographed: test-results/screenshots/)."""

from __future__ import annotations

import datetime
import random
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from scheduler.models import Pause, ScheduledRun, Status
from workflows.choices import RunSource, RunStatus
from workflows.models import Run
from workflows.stats.rollup import close_hours

from .conftest import DESKTOP, PHONE, Viewport
from .layout import assert_no_horizontal_scroll

BOTH = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=str)
WORKFLOWS = {  # name: (runs per hour, share failed, typical duration in ms)
    "process-order": (14, 0.05, 180),
    "send-invoice": (6, 0.3, 900),
    "nightly-cleanup": (1, 0.0, 42_000),
    "sync-crm": (4, 0.1, 2_500),
}


@pytest.fixture
def history(transactional_db, make_workflow):
    """A week of runs as a small shop makes them (the same every time: a seeded random)."""
    rng = random.Random(16)
    now = timezone.now()
    workflows = {
        name: make_workflow(name, actions=[{"type": "log", "message": "hi"}]) for name in WORKFLOWS
    }
    runs = []
    for hours_ago in range(7 * 24):
        for name, (per_hour, failing, duration) in WORKFLOWS.items():
            for _ in range(rng.randint(0, per_hour * 2)):
                ended = now - datetime.timedelta(hours=hours_ago, minutes=rng.uniform(0, 59))
                failed = rng.random() < failing * (3 if hours_ago in range(5, 9) else 1)
                spent = duration * rng.uniform(0.3, 2.5)
                runs.append(
                    Run(
                        workflow=workflows[name],
                        workflow_name=name,
                        source=RunSource.SCHEDULED if name == "nightly-cleanup" else RunSource.API,
                        status=RunStatus.FAILED if failed else RunStatus.SUCCEEDED,
                        error_code="HTTP_ERROR" if failed else "",
                        error_message=(
                            "step 2 (Call the payment service): the server answered 502 Bad Gateway"
                            if failed
                            else ""
                        ),
                        started_at=ended - datetime.timedelta(milliseconds=spent),
                        finished_at=ended,
                        duration_ms=spent,
                    )
                )
    Run.objects.bulk_create(runs)
    close_hours(now)  # all but the last hour or two: the rest is counted live
    upcoming = workflows["nightly-cleanup"]
    for minutes in (5, 25, 45, 90):
        ScheduledRun.objects.create(
            workflow=upcoming, due_at=now + datetime.timedelta(minutes=minutes)
        )
    ScheduledRun.objects.create(
        workflow=upcoming,
        due_at=now - datetime.timedelta(hours=3),
        status=Status.SUCCEEDED,
        started_at=now - datetime.timedelta(hours=3) + datetime.timedelta(seconds=0.4),
    )
    Pause.objects.create(key=Pause.key_for(workflows["sync-crm"]), workflow=workflows["sync-crm"])
    return workflows


@BOTH
def test_the_dashboard_draws_a_day_of_runs(
    admin_page: Page, viewport: Viewport, history, screenshot
) -> None:
    admin_page.goto(reverse("admin:index"))
    board = admin_page.locator("#dashboard")
    expect(board.get_by_role("heading", name="Runs — last 24 hours")).to_be_visible()
    chart = board.get_by_role("img")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-label", re.compile(r"^Runs finished per hour over 24 hours")
    )
    expect(board.locator("svg.runs-chart g")).to_have_count(24)
    expect(board.locator("svg.runs-chart rect.bar.failed").first).to_be_visible()
    failing = board.locator("section[aria-labelledby='dashboard-failing'] tbody tr")
    expect(failing.first).to_contain_text("send-invoice")
    expect(failing.first).to_contain_text("HTTP_ERROR")
    expect(board.locator("#dashboard-scheduler")).to_be_visible()
    expect(board.get_by_text("Paused workflow:")).to_be_visible()
    assert_no_horizontal_scroll(admin_page)
    screenshot(admin_page if viewport == DESKTOP else board, f"dashboard-{viewport}")


def test_seven_days_its_table_and_the_last_failed_run(
    admin_page: Page, history, screenshot
) -> None:
    admin_page.goto(reverse("admin:index"))
    board = admin_page.locator("#dashboard")
    board.get_by_role("link", name="Last 7 days").click()
    expect(admin_page).to_have_url(re.compile(r"\?dashboard=7d$"))
    expect(board.get_by_role("heading", name="Runs — last 7 days")).to_be_visible()
    expect(board.locator("svg.runs-chart g")).to_have_count(168)
    screenshot(board.locator(".dashboard-chart"), "dashboard-week-chart")
    board.get_by_text("The same figures as a table").click()
    rows = board.locator(".dashboard-table tbody tr")
    expect(rows).to_have_count(168)
    expect(rows.first).to_be_visible()
    last = board.locator("section[aria-labelledby='dashboard-failing'] .last-error a").first
    last.click()
    expect(admin_page).to_have_url(re.compile(r"/admin/workflows/run/[0-9a-f-]+/change/$"))
