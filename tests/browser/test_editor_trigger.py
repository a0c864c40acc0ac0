"""A builder rebuilds the seeds' schedule-birthday-email, a database trigger, from a blank
workflow in the editor alone: its data type and events, an "only when" on thing_before,
a yearly recurring event started at 9:00 on the birthday and its cancellation, each step
with its own "only when" — values picked with "Insert dynamic data" or typed, never a {{
typed by hand — test-runs it on the demo user's profile (nothing stays), saves it, and the
saved definition is the example's."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from examples.models import Profile
from examples.services import DEMO_USERNAME, WORKFLOWS_DIR, sample_data_ensure
from scheduler.models import RecurringEvent, ScheduledRun
from workflows import yaml_loader
from workflows.definitions import normalized, workflow_definition
from workflows.models import Workflow
from workflows.transfer import import_definitions

from .builder import Builder
from .screens import save_screenshot

NAME = "schedule-birthday-email"


def example(name: str) -> dict:
    # the project's loader: PyYAML's own reads the key "on" as true
    document, _ = yaml_loader.load((WORKFLOWS_DIR / "email.yaml").read_text())
    return next(w for w in document["workflows"] if w["name"] == name)


def test_a_builder_rebuilds_the_birthday_trigger_in_the_editor(
    admin_page: Page, transactional_db, capsys
):
    import_definitions([WORKFLOWS_DIR / "email.yaml"])  # what it schedules: happy-birthday
    Workflow.objects.filter(name=NAME).delete()
    sample_data_ensure()  # the demo user's profile, with a birthday
    page = admin_page
    page.goto(reverse("admin:workflows_workflow_add"))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    b = Builder(page)

    # the trigger: name, description, the data type watched and when, its "only when"
    b.fill("#wf-f-name", NAME)
    b.fill("#wf-f-description", example(NAME)["description"])
    b.choose("#wf-f-kind", "trigger")
    b.choose("#wf-f-data_type", "examples.Profile")
    b.click("#wf-f-on-create")
    b.click("#wf-f-on-update")
    b.insert("wf-f-only_when", "thing_before")
    b.type_into("wf-f-only_when", " is none or ")
    b.insert("wf-f-only_when", "thing_before", "birthday")
    b.type_into("wf-f-only_when", " != ")
    b.insert("wf-f-only_when", "thing", "birthday")

    # 1. happy-birthday every year for the profile's user, from 9:00 on the birthday
    n = b.add_step("Schedule a recurring event")
    b.choose(f"#{b.step_field(n, 'workflow')}", "happy-birthday")
    b.insert(b.step_field(n, "thing"), "thing", "user")
    b.type_into(b.step_field(n, "frequency"), "every 1 year")
    start = b.step_field(n, "start")
    b.insert(start, "thing", "birthday")
    b.type_at(start, "{{ ", "date(")
    b.type_at(start, "thing.birthday", " ~ 'T09:00:00')")
    expect(page.locator(f"#{start}")).to_have_text("{{ date(thing.birthday ~ 'T09:00:00') }}")
    b.insert(b.step_field(n, "params.user"), "thing", "user")
    more(b, n)
    b.insert(b.step_field(n, "only_when"), "thing", "birthday")
    b.type_into(b.step_field(n, "only_when"), " is not none")
    b.fill(f"#{b.step_field(n, 'id')}", "yearly")

    # 2. no birthday: no birthday email
    n = b.add_step("Cancel a recurring event")
    b.choose(f"#{b.step_field(n, 'workflow')}", "happy-birthday")
    b.insert(b.step_field(n, "thing"), "thing", "user")
    more(b, n)
    b.insert(b.step_field(n, "only_when"), "thing", "birthday")
    b.type_into(b.step_field(n, "only_when"), " is none")

    # the cards say what the steps do, once the editor has checked the last change
    expect(page.locator("#wf-card-0 .wf-card-summary")).to_have_text(
        "Run happy-birthday every 1 year for thing.user"
    )
    expect(page.locator("#wf-card-1 .wf-card-summary")).to_have_text(
        "Stop running happy-birthday for thing.user"
    )
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")

    # a test run on the demo user's profile, as if just created: the yearly event is
    # scheduled in the run, and nothing of it stays
    profile = Profile.objects.get(user__username=DEMO_USERNAME)
    events, runs = RecurringEvent.objects.count(), ScheduledRun.objects.count()
    b.click("#wf-trial > summary")
    b.click("#wf-f-trial-trigger-thing")
    b.click(page.locator(".wf-thing-option").filter(has_text=str(profile)))
    b.click("#wf-trial-run")
    expect(page.locator("#wf-trial-status")).to_contain_text("succeeded")
    steps = page.locator(".wf-trial-step")
    expect(steps.nth(0).locator(".wf-status")).to_have_text("succeeded")
    expect(steps.nth(0)).to_contain_text("happy-birthday")
    expect(steps.nth(1).locator(".wf-status")).to_have_text("skipped")
    assert (RecurringEvent.objects.count(), ScheduledRun.objects.count()) == (events, runs)

    save_screenshot(page, "editor-trigger-schedule-birthday-email")
    b.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added")
    saved = workflow_definition(Workflow.objects.get(name=NAME))
    assert normalized(saved) == normalized(example(NAME))
    with capsys.disabled():
        print(
            f"\nrebuilding {NAME} in the editor: {b.interactions} interactions, "
            f"{b.seconds():.1f} s in the browser test"
        )


def more(b: Builder, number: int) -> None:
    """Open the step's "Name, label and Only when" box."""
    props = b.page.locator(f"#wf-props-{number - 1}")
    b.click(props.locator("details.wf-more > summary"))
