"""A builder rebuilds the seeds' daily-cleanup, a workflow that runs by itself every day,
from a blank workflow in the editor alone: its API settings, an "only when" reading a
Setting through a search, its schedule (the next runs listed while the start is typed),
the deletion of a search's things and a log line — values picked with "Insert dynamic
data" or typed, never a {{ typed by hand — test-runs it (nothing is deleted), saves it, and
the saved definition is the example's."""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from examples.models import VerificationCode
from examples.services import WORKFLOWS_DIR, sample_data_ensure
from workflows import yaml_loader
from workflows.definitions import normalized, workflow_definition
from workflows.models import Workflow

from .builder import Builder
from .screens import save_screenshot

NAME = "daily-cleanup"
START = datetime.datetime(2026, 1, 1, 3, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def example(name: str) -> dict:
    document, _ = yaml_loader.load((WORKFLOWS_DIR / "maintenance.yaml").read_text())
    return next(w for w in document["workflows"] if w["name"] == name)


def test_a_builder_rebuilds_the_daily_cleanup_in_the_editor(
    admin_page: Page, transactional_db, capsys
):
    Workflow.objects.filter(name=NAME).delete()
    sample_data_ensure()  # the Setting named daily-cleanup, switched on
    old = [VerificationCode.objects.create(destination=f"{n}@example.com", code="1") for n in "ab"]
    VerificationCode.objects.filter(pk__in=[c.pk for c in old]).update(
        created_at=timezone.now() - 2 * DAY
    )
    VerificationCode.objects.create(destination="c@example.com", code="2")
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_add"))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    b = Builder(page)

    # the trigger: name, description, its API settings, its "only when"
    b.fill("#wf-f-name", NAME)
    b.fill("#wf-f-description", example(NAME)["description"])
    b.click(page.locator(".wf-trigger details.wf-more > summary"))
    b.choose("#wf-f-condition_not_met", "200")
    b.click("#wf-f-ignore_privacy")
    b.insert("wf-f-only_when", "Do a search for", "Settings", "count", "is greater than …")
    b.type_at("wf-f-only_when", "'examples.Setting'", ", name='daily-cleanup', should_run=true")

    # every day at 03:00 UTC: the next five runs are listed as the start is typed
    b.click("#wf-f-schedule-on")
    runs = page.locator("#wf-schedule-next li")
    expect(runs).to_have_count(5)
    coming = five_runs(timezone.now())
    b.type_keys("#wf-f-schedule-start", "2026-01-01T03:00:00+00:00")
    later = [*coming[1:], coming[-1] + DAY]  # had 03:00 UTC passed meanwhile
    shown, shown_later = as_shown(page, coming), as_shown(page, later)
    expect(runs).to_have_text(shown_or(shown, shown_later))
    assert runs.all_inner_texts() in (shown, shown_later)

    # 1. delete the verification codes older than a day
    n = b.add_step("Delete a list of things")
    codes = b.step_field(n, "list")
    b.insert(codes, "Do a search for", "Verification codes")
    b.type_at(codes, "'examples.VerificationCode'", ", created_at__lt=")
    b.insert(codes, "Current date/time", "minus days", after="created_at__lt=")
    expect(page.locator(f"#{codes}")).to_have_text(
        "{{ search('examples.VerificationCode', created_at__lt=now - days(1)) }}"
    )
    name_step(b, n, "expired")

    # 2. say how many
    n = b.add_step("Write to the log")
    message = b.step_field(n, "message")
    b.type_into(message, "daily cleanup: ")
    b.insert(message, "Result of step 1 (expired)")
    b.type_into(message, " expired verification code(s) deleted")

    # the cards say what the steps do, once the editor has checked the last change
    expect(page.locator("#wf-card-1 .wf-card-summary")).to_contain_text(
        "Log: daily cleanup: steps.expired expired verification"
    )
    expect(page.locator("#wf-card-0 .wf-card-summary")).to_contain_text(
        "Delete the list search('examples.VerificationCode', created_at__lt=now"
    )
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")

    # a test run: the two old codes are deleted in the run, and are still there after it
    b.click("#wf-trial > summary")
    b.click("#wf-trial-run")
    expect(page.locator("#wf-trial-status")).to_contain_text("succeeded")
    steps = page.locator(".wf-trial-step")
    expect(steps.nth(0).locator("div.wf-io")).to_have_text("Result: 2")
    expect(steps.nth(1)).to_contain_text("daily cleanup: 2 expired verification code(s) deleted")
    assert VerificationCode.objects.count() == 3

    save_screenshot(page, "editor-recurring-daily-cleanup")
    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added")
    saved = workflow_definition(Workflow.objects.get(name=NAME))
    assert normalized(saved) == normalized(example(NAME))
    with capsys.disabled():
        print(
            f"\nrebuilding {NAME} in the editor: {b.interactions} interactions, "
            f"{b.seconds():.1f} s in the browser test"
        )


def five_runs(now: datetime.datetime) -> list[datetime.datetime]:
    """The schedule's next five runs after ``now``, counted by hand: every day at 03:00 UTC
    from 1 January 2026."""
    first = START if now < START else START + ((now - START) // DAY + 1) * DAY
    return [first + i * DAY for i in range(5)]


def as_shown(page: Page, moments: list[datetime.datetime]) -> list[str]:
    """The moments as the browser writes them (its locale and time zone)."""
    return page.evaluate(
        "(moments) => moments.map((m) => new Date(m).toLocaleString())",
        [m.isoformat() for m in moments],
    )


def shown_or(one: list[str], other: list[str]) -> list:
    """Each line of either list (to_have_text's patterns)."""
    return [
        re.compile(f"^({re.escape(a)}|{re.escape(b)})$") for a, b in zip(one, other, strict=True)
    ]


def name_step(b: Builder, number: int, step_id: str) -> None:
    """Give the step its id, in its "Name, label and Only when" box."""
    props = b.page.locator(f"#wf-props-{number - 1}")
    b.click(props.locator("details.wf-more > summary"))
    b.fill(f"#{b.step_field(number, 'id')}", step_id)
