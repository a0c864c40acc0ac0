"""Acting from the admin in a real browser: a cancel that asks first, scheduling a workflow
with a thing searched by name, the banner while the scheduler is paused, and the admin's
own index and list pages. Photographed at 1366 px (test-results/screenshots/sched-*.png)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from examples.models import Customer
from scheduler import services
from scheduler.models import Pause, RecurringEvent, ScheduledRun, Status

from .layout import assert_no_horizontal_scroll


def later(**delta: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


def test_a_cancel_asks_what_it_touches_before_cancelling(
    admin_page: Page, make_workflow, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    wf = make_workflow("process-order", actions=[{"type": "log", "message": "x"}])
    doomed = services.schedule(wf, {}, later(hours=1))
    kept = services.schedule(wf, {}, later(hours=2))

    page.goto(reverse("admin:scheduler_scheduledrun_changelist"))
    expect(page.locator("#sched-schedule-link")).to_have_text("Schedule a workflow…")
    screenshot(page, "sched-scheduler-list-1366", full_page=False)
    row = page.locator("#result_list tbody tr").first
    row.locator("input.action-select").check()
    page.locator("select[name='action']").select_option("cancel_selected")
    page.get_by_role("button", name="Go").click()

    expect(page.locator("#sched-confirm-question")).to_have_text(
        "Cancel 1 scheduled run of process-order?"
    )
    assert ScheduledRun.objects.get(pk=doomed.pk).status == Status.SCHEDULED
    assert_no_horizontal_scroll(page)
    screenshot(page, "sched-cancel-confirm-1366", full_page=False)
    page.get_by_role("button", name="Yes, cancel it").click()

    expect(page.locator(".messagelist .success")).to_have_text("Cancelled 1 scheduled run.")
    assert ScheduledRun.objects.get(pk=doomed.pk).status == Status.CANCELLED
    assert ScheduledRun.objects.get(pk=kept.pk).status == Status.SCHEDULED


def test_a_builder_schedules_a_workflow_picking_a_customer_by_name(
    admin_page: Page, make_workflow, superuser, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    wf = make_workflow(
        "remind-customer",
        description="Sends a customer a reminder.",
        parameters=[
            {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
            {"key": "note", "type": "text", "optional": True},
            {"key": "urgent", "type": "yes_no", "optional": True},
        ],
        actions=[{"type": "log", "message": "{{ params.customer.name }}"}],
    )
    ann = Customer.objects.create(name="Ann Example", email="ann@example.com")
    Customer.objects.create(name="Bob Sample", email="bob@example.com")

    page.goto(reverse("admin:workflows_workflow_change", args=[wf.pk]))
    page.get_by_role("link", name="Schedule…").click()
    expect(page.locator("#sched-schedule-form[data-ready='true']")).to_be_attached()
    page.get_by_role("searchbox", name="Search examples.Customer for customer").fill("ann")
    page.get_by_role("button", name=f"Ann Example ({ann.pk})").click()
    expect(page.locator("#id_customer")).to_have_value(str(ann.pk))
    expect(page.locator(".field-customer .sched-picked")).to_have_text("Ann Example")
    page.locator("#id_note").fill("Your order is waiting")
    page.locator("#id_urgent").select_option("yes")
    page.locator("#id_due-at").fill("2031-03-04T09:30:00")
    assert_no_horizontal_scroll(page)
    screenshot(page, "sched-schedule-form-1366")
    page.get_by_role("button", name="Schedule").click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        "Scheduled remind-customer, due 2031-03-04 09:30:00, to run as root."
    )
    row = ScheduledRun.objects.get()
    assert row.params["customer"] == {"_type": "examples.Customer", "_id": ann.pk}
    assert row.actor == superuser and row.params["urgent"] is True


def test_every_page_says_the_scheduler_is_paused_and_the_index_reads_as_the_product(
    admin_page: Page, make_workflow, superuser, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    wf = make_workflow("daily-cleanup", actions=[{"type": "log", "message": "x"}])
    make_workflow(
        "on-order-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        actions=[{"type": "log", "message": "x"}],
    )
    customer = Customer.objects.create(name="Ann Example", email="ann@example.com")
    RecurringEvent.objects.create(
        workflow=wf,
        data_type="examples.Customer",
        thing_id=str(customer.pk),
        frequency={"every": "1 day"},
        start=later(days=-3),
    )
    Pause.objects.create(key=Pause.key_for(None), paused_by=superuser)

    page.goto(reverse("admin:index"))
    expect(page.locator("#site-name")).to_have_text("bubble-backend")
    captions = page.locator("#content-main .module caption")
    expect(captions.first).to_have_text("Workflows")
    expect(captions.nth(1)).to_have_text("Runs")
    expect(captions.nth(2)).to_have_text("Scheduler")
    expect(captions.last).to_have_text("Operations")
    expect(page.locator("#sched-scheduler-paused")).to_contain_text("The scheduler is paused")
    assert_no_horizontal_scroll(page)
    screenshot(page, "sched-admin-index-1366")

    page.goto(reverse("admin:scheduler_triggerworkflow_changelist"))
    expect(page.locator("#result_list")).to_contain_text("Order (examples.Order)")
    expect(page.locator("#sched-scheduler-paused")).to_be_visible()
    screenshot(page, "sched-trigger-workflows-1366", full_page=False)

    page.goto(reverse("admin:scheduler_recurringevent_changelist"))
    expect(page.locator("#result_list")).to_contain_text("Ann Example")
    assert_no_horizontal_scroll(page)
    screenshot(page, "sched-recurring-events-1366", full_page=False)

    page.locator("#sched-resume-scheduler").click()
    expect(page.locator("#sched-confirm-question")).to_contain_text("Resume the scheduler?")
    page.get_by_role("button", name="Yes, resume").click()
    expect(page.locator(".messagelist .success")).to_contain_text("The scheduler is resumed")
    expect(page.locator("#sched-paused-banner")).to_have_count(0)
    assert not Pause.objects.exists()


def test_a_failed_run_is_retried_now_after_asking(
    admin_page: Page, make_workflow, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    wf = make_workflow("process-order", actions=[{"type": "log", "message": "x"}])
    failed = services.schedule(wf, {}, later(hours=-1))
    ScheduledRun.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, last_error="TIMEOUT: the run took longer than 300 s"
    )

    page.goto(reverse("admin:scheduler_scheduledrun_change", args=[failed.pk]))
    page.get_by_role("link", name="Retry now…").click()
    expect(page.locator("#sched-confirm-question")).to_have_text(
        "Retry this failed run of process-order now?"
    )
    expect(page.locator("#sched-confirm-details")).to_contain_text("TIMEOUT")
    screenshot(page, "sched-retry-confirm-1366", full_page=False)
    page.get_by_role("button", name="Yes, retry now").click()

    expect(page.locator(".messagelist .success")).to_contain_text("Retrying process-order")
    new = ScheduledRun.objects.get(retry_of=failed)
    expect(page).to_have_url(
        re.compile(re.escape(reverse("admin:scheduler_scheduledrun_change", args=[new.pk])))
    )
    expect(page.locator(".field-retry_links")).to_contain_text("retry of")
    screenshot(page, "sched-retried-run-1366")


def test_a_run_in_another_zone_shows_its_own_clock_beside_the_servers(
    admin_page: Page, make_workflow, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    wf = make_workflow("remind-tokyo", expose=True, actions=[{"type": "log", "message": "x"}])
    row = services.schedule(wf, {}, "2030-12-24T09:00", time_zone="Asia/Tokyo")
    page.goto(reverse("admin:scheduler_scheduledrun_changelist"))
    due = page.locator("#result_list td.field-due")
    expect(due.locator(".sched-due")).to_have_text("2030-12-24 00:00:00")
    expect(due.locator(".sched-zone")).to_have_text("09:00 Asia/Tokyo")
    assert_no_horizontal_scroll(page)
    screenshot(page, "sched-zone-list-1366", full_page=False)
    page.goto(reverse("admin:scheduler_scheduledrun_change", args=[row.pk]))
    expect(page.locator(".field-time_zone_shown")).to_contain_text("Asia/Tokyo")
