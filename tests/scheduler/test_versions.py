"""Scheduled runs and versions (docs/versions.md): a live run's scheduled runs run the
version live when they fire; a test run's run development and are marked test."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from scheduler import services
from scheduler.models import RecurringEvent, ScheduledRun, Status
from workflows.models import Run, Workflow
from workflows.versions.deploy import deploy


def later(word: str) -> dict:
    return {
        "actions": [{"type": "log", "message": word}, {"type": "return_data", "data": {"w": word}}]
    }


def scheduling() -> dict:
    return {
        "expose": True,
        "auth": "none",
        "actions": [{"type": "schedule_workflow", "workflow": "later", "id": "s"}],
    }


def live_only(name: str) -> None:
    """Deploy development as version 1, then delete workflow ``name`` in development: live
    still has it."""
    deploy(message="1")
    Workflow.objects.get(name=name).delete()


def words(**filters) -> list[str]:
    return [r.result["w"] for r in Run.objects.filter(workflow_name="later", **filters)]


def test_a_live_runs_scheduled_run_runs_the_version_live_when_it_fires(make_workflow, api, drain):
    make_workflow("later", **later("one"))
    make_workflow("plan", **scheduling())
    deploy(message="1")
    assert api.post("/api/1.1/wf/plan", {}, format="json").status_code == 200
    row = ScheduledRun.objects.get()
    assert row.test is False
    make_workflow("later", **later("two"))
    deploy(message="2")  # deployed after it was scheduled, before it fires
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert words() == ["two"]
    assert Run.objects.get(workflow_name="later").version == 2


def test_a_test_runs_scheduled_run_runs_development_and_is_marked(make_workflow, api, drain):
    make_workflow("later", **later("live"))
    make_workflow("plan", **scheduling())
    deploy(message="1")
    make_workflow("later", **later("draft"))
    assert api.post("/version-test/api/1.1/wf/plan", {}, format="json").status_code == 200
    row = ScheduledRun.objects.get()
    assert row.test is True
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    run = Run.objects.get(workflow_name="later")
    assert (run.result["w"], run.test, run.version) == ("draft", True, None)


def test_the_scheduler_list_marks_test_runs(make_workflow, api, admin_client):
    make_workflow("later", **later("x"))
    make_workflow("plan", **scheduling())
    deploy(message="1")
    api.post("/version-test/api/1.1/wf/plan", {}, format="json")
    api.post("/api/1.1/wf/plan", {}, format="json")
    page = admin_client.get("/admin/scheduler/scheduledrun/").content.decode()
    assert page.count('<span class="sched-badge sched-test">test</span>') == 1
    only_tests = admin_client.get("/admin/scheduler/scheduledrun/", {"test__exact": "1"})
    assert [r.test for r in only_tests.context["cl"].result_list] == [True]


def audited(make_workflow) -> None:
    """A trigger workflow logging each new customer, and a workflow adding one."""
    make_workflow(
        "audit-customers",
        kind="trigger",
        data_type="examples.Customer",
        on=["create"],
        actions=[{"type": "log", "message": "created"}],
    )
    make_workflow(
        "add-customer",
        expose=True,
        auth="none",
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "Ann", "email": "ann@example.com"},
            }
        ],
    )


@pytest.mark.django_db(transaction=True)  # triggers are written when the change commits
def test_database_triggers_of_a_call_are_its_versions(make_workflow, api):
    """A live call's changes fire the live version's trigger workflows; a test call's,
    development's."""
    audited(make_workflow)
    deploy(message="1")
    make_workflow(  # development's trigger now watches deletions only
        "audit-customers",
        kind="trigger",
        data_type="examples.Customer",
        on=["delete"],
        actions=[{"type": "log", "message": "deleted"}],
    )
    response = api.post("/api/1.1/wf/add-customer", {}, format="json")
    assert response.status_code == 200, response.content
    assert ScheduledRun.objects.filter(origin="trigger").count() == 1
    assert api.post("/version-test/api/1.1/wf/add-customer", {}, format="json").status_code == 200
    assert ScheduledRun.objects.filter(origin="trigger").count() == 1


def test_a_workflows_own_schedule_changes_when_deployed(
    make_workflow, django_capture_on_commit_callbacks
):
    """Before the first deploy a save starts the schedule, as before versions; after it,
    saving in development changes nothing live until the next deploy."""
    from scheduler.models import RecurringEvent

    start = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    nightly = {"schedule": {"every": "1 day", "start": start}, **later("night")}
    with django_capture_on_commit_callbacks(execute=True):
        make_workflow("nightly", **nightly)
    assert RecurringEvent.objects.filter(active=True).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        deploy(message="1")
        make_workflow("nightly", **later("night"))  # no schedule any more, in development
    assert RecurringEvent.objects.filter(active=True).count() == 1  # live keeps it
    with django_capture_on_commit_callbacks(execute=True):
        deploy(message="2: no schedule")
    assert RecurringEvent.objects.filter(active=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        make_workflow("nightly", **nightly)  # back in development: nothing live yet
    assert RecurringEvent.objects.filter(active=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        deploy(message="3: scheduled again")
    event = RecurringEvent.objects.get(active=True)
    assert event.workflow.name == "nightly" and event.start.isoformat() == start


# --- recurring events set up by a test run ----------------------------------------------

CUSTOMER = [{"key": "customer", "type": "thing", "data_type": "examples.Customer"}]


def ticking(word: str) -> dict:
    return {"parameters": CUSTOMER, "actions": [{"type": "return_data", "data": {"w": word}}]}


def recurring_step(kind: str) -> dict:
    step = {"type": kind, "workflow": "tick", "thing": "{{ params.customer }}"}
    if kind == "schedule_recurring":
        step.update(frequency="every 1 hour", params={"customer": "{{ params.customer }}"})
    return {"expose": True, "auth": "none", "parameters": CUSTOMER, "actions": [step]}


@pytest.fixture
def planned(make_workflow, api, customer):
    """tick (live: "live", development: "draft"), and start-ticking / stop-ticking its
    event for a customer, deployed; ``call(prefix, name)`` calls one for the customer
    (names of their own: a serializer is kept per name and version number, and an
    earlier test deployed a "plan" as version 1 too)."""
    make_workflow("tick", **ticking("live"))
    make_workflow("start-ticking", **recurring_step("schedule_recurring"))
    make_workflow("stop-ticking", **recurring_step("cancel_recurring"))
    deploy(message="1")
    make_workflow("tick", **ticking("draft"))

    def call(prefix: str, name: str = "start-ticking") -> None:
        response = api.post(f"{prefix}/api/1.1/wf/{name}", {"customer": customer.pk}, format="json")
        assert response.status_code == 200, response.content

    return call


def active_events() -> dict[bool, RecurringEvent]:
    return {e.test: e for e in RecurringEvent.objects.filter(active=True)}


def test_a_test_calls_recurring_event_is_a_test_event_beside_the_live_one(planned, drain):
    planned("")
    live_event = active_events()[False]
    planned("/version-test")
    events = active_events()
    assert set(events) == {False, True} and events[False] == live_event
    test_event = events[True]
    assert [o.test for o in test_event.occurrences.all()] == [True]
    assert [o.test for o in live_event.occurrences.all()] == [False]
    assert sorted(drain(timezone.now() + datetime.timedelta(seconds=1))) == [Status.SUCCEEDED] * 2
    ran = {(r.test, r.version, r.result["w"]) for r in Run.objects.filter(workflow_name="tick")}
    assert ran == {(True, None, "draft"), (False, 1, "live")}
    upcoming = test_event.occurrences.get(status=Status.SCHEDULED)
    assert upcoming.test is True  # scheduled while its occurrence ran
    services.cancel([upcoming.pk])  # outside any call: the one after is the event's too
    assert test_event.occurrences.get(status=Status.SCHEDULED).test is True


def test_a_live_call_replaces_only_the_live_event_and_a_test_stops_only_its_own(planned):
    planned("")
    planned("/version-test")
    first_live, test_event = active_events()[False], active_events()[True]
    planned("")
    events = active_events()
    assert events[True] == test_event and events[False] != first_live
    planned("/version-test", "stop-ticking")
    assert set(active_events()) == {False}
    planned("/version-test")
    planned("", "stop-ticking")
    assert set(active_events()) == {True}


def test_the_recurring_events_list_marks_test_events(planned, admin_client):
    planned("")
    planned("/version-test")
    page = admin_client.get("/admin/scheduler/recurringevent/").content.decode()
    assert page.count('<span class="sched-badge sched-test">test</span>') == 1
    only_tests = admin_client.get("/admin/scheduler/recurringevent/", {"test__exact": "1"})
    assert [e.test for e in only_tests.context["cl"].result_list] == [True]


# --- steps of a live run naming a workflow deleted in development -----------------------


def test_a_live_step_schedules_a_workflow_deleted_in_development(make_workflow, api, drain):
    """Live still has ``later``: the live run schedules it by name, and it runs live's."""
    make_workflow("later", **later("live"))
    make_workflow("plan", **scheduling())
    live_only("later")
    response = api.post("/api/1.1/wf/plan", {}, format="json")
    assert response.status_code == 200, response.content
    row = ScheduledRun.objects.get()
    assert (row.workflow_id, row.workflow_name, row.test) == (None, "later", False)
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert words() == ["live"]
    failed = api.post("/version-test/api/1.1/wf/plan", {}, format="json")
    assert failed.status_code == 400, failed.content  # development's plan names no workflow
    assert failed.json()["message"].endswith("no workflow named 'later'")


def test_a_live_step_coerces_parameters_as_live_declares_them(make_workflow, api):
    """Development renamed the parameter; the live run's step is checked against live's."""
    make_workflow("later", parameters=[{"key": "n", "type": "number"}], **later("x"))
    make_workflow(
        "plan",
        expose=True,
        auth="none",
        actions=[{"type": "schedule_workflow", "workflow": "later", "params": {"n": "7"}}],
    )
    deploy(message="1")
    make_workflow("later", parameters=[{"key": "m", "type": "text"}], **later("x"))
    response = api.post("/api/1.1/wf/plan", {}, format="json")
    assert response.status_code == 200, response.content
    assert ScheduledRun.objects.get().params == {"n": 7}


def test_a_live_step_schedules_on_a_list_a_workflow_deleted_in_development(
    make_workflow, api, drain
):
    make_workflow("later", **later("live"))
    make_workflow(
        "plan-many",
        expose=True,
        auth="none",
        actions=[
            {"type": "schedule_workflow_on_list", "workflow": "later", "list": "{{ [1, 2] }}"}
        ],
    )
    live_only("later")
    assert api.post("/api/1.1/wf/plan-many", {}, format="json").status_code == 200
    rows = ScheduledRun.objects.all()
    assert [(r.workflow_id, r.workflow_name) for r in rows] == [(None, "later")] * 2
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED] * 2


def test_a_live_step_starts_and_stops_a_recurring_event_of_a_deleted_workflow(planned, drain):
    Workflow.objects.get(name="tick").delete()
    planned("")
    event = RecurringEvent.objects.get(active=True)
    assert (event.workflow_id, event.workflow_name, event.test) == (None, "tick", False)
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert [r.result["w"] for r in Run.objects.filter(workflow_name="tick")] == ["live"]
    planned("", "stop-ticking")
    assert not RecurringEvent.objects.filter(active=True).exists()


def test_the_schedule_endpoint_schedules_the_live_workflow(make_workflow, api, drain):
    make_workflow("later", expose=True, auth="none", **later("live"))
    live_only("later")
    response = api.post("/api/1.1/wf/later/schedule", {"params": {}}, format="json")
    assert response.status_code == 201, response.content
    assert ScheduledRun.objects.get().workflow_name == "later"
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]


def test_the_schedule_endpoint_links_developments_row_after_a_deploy(make_workflow, api):
    workflow = make_workflow("later", expose=True, auth="none", **later("live"))
    deploy(message="1")
    response = api.post("/api/1.1/wf/later/schedule", {"params": {}}, format="json")
    assert response.status_code == 201, response.content
    assert ScheduledRun.objects.get().workflow == workflow


@pytest.mark.django_db(transaction=True)  # triggers are written when the change commits
def test_a_trigger_deleted_in_development_fires_for_live_changes_until_deployed(
    make_workflow, api, drain
):
    audited(make_workflow)
    live_only("audit-customers")
    assert api.post("/api/1.1/wf/add-customer", {}, format="json").status_code == 200
    fired = ScheduledRun.objects.get(origin="trigger")
    assert (fired.workflow_id, fired.workflow_name, fired.test) == (None, "audit-customers", False)
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert Run.objects.get(workflow_name="audit-customers").version == 1
    assert api.post("/version-test/api/1.1/wf/add-customer", {}, format="json").status_code == 200
    assert ScheduledRun.objects.filter(origin="trigger").count() == 1  # development has none
    deploy(message="2: no audit")
    assert api.post("/api/1.1/wf/add-customer", {}, format="json").status_code == 200
    assert ScheduledRun.objects.filter(origin="trigger").count() == 1


def fragile_and_its_error_workflow(make_workflow) -> None:
    """``fragile`` fails every time; its error workflow ``on-fail`` answers "handled"; a
    ``plan`` schedules ``fragile``."""
    make_workflow("on-fail", parameters=[{"key": "run_id", "type": "text"}], **later("handled"))
    make_workflow(
        "fragile",
        expose=True,
        auth="none",
        error_workflow="on-fail",
        actions=[{"type": "log", "message": "{{ 1 / 0 }}"}],
    )
    make_workflow(
        "plan",
        expose=True,
        auth="none",
        actions=[{"type": "schedule_workflow", "workflow": "fragile"}],
    )


def test_a_live_runs_error_workflow_deleted_in_development_still_runs(make_workflow, api, drain):
    fragile_and_its_error_workflow(make_workflow)
    live_only("on-fail")
    assert api.post("/api/1.1/wf/fragile", {}, format="json").status_code == 500
    row = ScheduledRun.objects.get(origin="error_workflow")
    assert (row.workflow_id, row.workflow_name, row.test) == (None, "on-fail", False)
    assert drain(timezone.now() + datetime.timedelta(seconds=1)) == [Status.SUCCEEDED]
    assert Run.objects.get(workflow_name="on-fail").result == {"w": "handled"}


def test_a_scheduled_live_runs_error_workflow_is_found_in_live_too(make_workflow, api, drain):
    """The worker records a scheduled run's failure after its run: the error workflow is
    still looked up in the version the run ran."""
    fragile_and_its_error_workflow(make_workflow)
    live_only("on-fail")
    assert api.post("/api/1.1/wf/plan", {}, format="json").status_code == 200
    outcomes = drain(timezone.now() + datetime.timedelta(seconds=1))
    assert sorted(outcomes) == [Status.FAILED, Status.SUCCEEDED]
    row = ScheduledRun.objects.get(origin="error_workflow")
    assert (row.workflow_name, row.test) == ("on-fail", False)
    assert Run.objects.get(workflow_name="on-fail").version == 1


def test_a_test_runs_error_workflow_is_a_test_run(make_workflow, api, drain):
    fragile_and_its_error_workflow(make_workflow)
    deploy(message="1")
    assert api.post("/version-test/api/1.1/wf/plan", {}, format="json").status_code == 200
    drain(timezone.now() + datetime.timedelta(seconds=1))
    row = ScheduledRun.objects.get(origin="error_workflow")
    assert row.test is True
    assert Run.objects.get(workflow_name="on-fail").test is True


def test_finding_a_workflow_to_schedule_reads_developments_row_once(
    make_workflow, django_assert_num_queries
):
    """In development the row it was compiled from is the one the runs link: one read."""
    row = make_workflow("later", **later("x"))
    services.schedulable_workflow("later")  # compiled, and kept
    with django_assert_num_queries(1):
        found = services.schedulable_workflow("later")
    assert found.row == row and found.compiled.name == "later"
