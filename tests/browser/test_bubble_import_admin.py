"""A team brings its Bubble app over from the admin, in a real browser: the address and
token, the plan as a table, the start, then the import's page — a progress bar per type
while it runs, and the report once every row arrived. Photographed at 1366 px
(test-results/screenshots/bubble-import-*.png)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from bubble_import import tasks
from bubble_import.models import BubbleImport, ImportedType
from tests.bubble_import.stand_in import TOKEN, running
from tests.workflows.data_model.conftest import data_model  # noqa: F401

from .layout import assert_no_horizontal_scroll

pytestmark = pytest.mark.usefixtures("data_model")


@pytest.fixture
def worker(monkeypatch, settings):
    """The stand-in's host allowed, and a start runs the import at once (as a worker
    would pick it up) so the test reads its page when it ended."""
    settings.BUBBLE = {**settings.BUBBLE, "IMPORT_ALLOWED_HOSTS": ["127.0.0.1"]}
    monkeypatch.setattr(tasks, "async_task", lambda task, pk, **kw: tasks.run_import(pk))


def test_a_team_sees_the_plan_starts_and_reads_the_report(
    admin_page: Page, worker, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    page.goto("/admin/bubble_import/bubbleimport/add/")
    expect(page.locator("h1")).to_have_text("Bring a Bubble app over")
    with running() as app:
        page.get_by_label("The Bubble app's address").fill(app.address)
        page.get_by_label("Data API token").fill(TOKEN)
        page.get_by_role("button", name="Show the plan").click()

        plan = page.locator("#plan")
        expect(plan).to_contain_text("The plan, read from its Swagger file")
        unit = plan.locator(".plan-type").filter(has_text="data type Unit")
        expect(unit.locator("tbody tr")).to_have_count(7)
        expect(unit).to_contain_text("Unit name")
        expect(plan).to_contain_text("process-order(order: thing of order")
        assert TOKEN not in page.content()
        assert_no_horizontal_scroll(page)
        screenshot(page.locator("#content"), "bubble-import-plan")

        page.get_by_role("button", name="Start the import").click()
        expect(page.locator("#import-status")).to_contain_text("Finished: every row arrived")
    bars = page.locator("#import-progress progress")
    expect(bars).to_have_count(4)
    for n in range(4):
        expect(bars.nth(n)).to_have_attribute("value", "100")
    report = page.locator("#import-report")
    expect(report).to_contain_text("Links to rows that no longer exist, left out (1)")
    expect(report.get_by_role("link", name="process-order")).to_be_visible()
    expect(page.locator(".import-command").first).to_contain_text(
        f"python manage.py import_bubble_app {app.address}"
    )
    assert_no_horizontal_scroll(page)
    screenshot(page.locator("#content"), "bubble-import-report")


def test_a_running_import_shows_a_bar_rows_a_second_and_time_left(
    admin_page: Page, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    now = timezone.now()
    bubble_import = BubbleImport.objects.create(  # a worker is at it: its page just moved
        app="https://myapp.example/api/1.1",
        options={"address": "https://myapp.example"},
        heartbeat=now,
    )
    for position, (name, copied, total) in enumerate(
        [("user", 2000, 2000), ("unit", 30000, 60000), ("order", 0, None)]
    ):
        ImportedType.objects.create(
            bubble_import=bubble_import,
            bubble_name=name,
            data_type=name.title(),
            position=position,
            bubble_count=total,
            copied=copied,
            copied_all=copied == total,
            started_at=now - datetime.timedelta(seconds=60) if copied else None,
            finished_at=now if copied == total else None,
        )
    page.goto(f"/admin/bubble_import/bubbleimport/{bubble_import.pk}/change/")
    unit = page.locator("tr.import-type[data-type=unit]")
    expect(unit.locator("progress")).to_have_attribute("value", "50")
    expect(unit).to_contain_text("30000 of 60000")
    # rows a second and time left, as the clock has moved on since (exact figures:
    # tests/bubble_import/test_admin.py, on a frozen clock)
    expect(unit.locator("td").nth(4)).to_have_text(re.compile(r"^\d{3}\.\d$"))
    expect(unit.locator("td").nth(5)).to_have_text(re.compile(r"^\d+ min \d\d s$"))
    expect(page.locator("tr.import-type[data-type=user]")).to_contain_text("done")
    expect(page.locator("tr.import-type[data-type=order]")).to_contain_text("0 of ?")
    expect(page.get_by_text("Waiting for a worker")).to_have_count(0)
    expect(page.locator(".import-command")).to_contain_text(
        "import_bubble_app https://myapp.example"
    )
    screenshot(page.locator("#content"), "bubble-import-progress")
