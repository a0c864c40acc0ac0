"""schedule_workflow and its runs: validation at scheduling, execution, claims, retries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from examples.models import Order
from scheduler.dispatch import dispatch_due, reap_lost
from scheduler.execution import claim, execute_scheduled_run, run_claimed
from scheduler.models import Origin, Pause, ScheduledRun, Status
from tests.workflows.privacy import conftest as privacy_fixtures
from workflows import engine
from workflows.choices import RunSource, RunStatus
from workflows.models import Run

MARK_PAID = {
    "kind": "api",
    "parameters": [{"key": "order", "type": "thing", "data_type": "examples.Order"}],
    "actions": [
        {
            "id": "paid",
            "type": "make_changes",
            "thing": "{{ params.order }}",
            "changes": {"status": "paid", "note": "by {{ current_user.username }}"},
        },
    ],
}


@pytest.fixture
def mark_paid(make_workflow):
    return make_workflow("mark-paid", **MARK_PAID)


@pytest.fixture
def scheduler_wf(make_workflow, mark_paid):
    return make_workflow(
        "pay-later",
        parameters=[
            {"key": "order", "type": "thing", "data_type": "examples.Order"},
            {"key": "delay", "type": "number", "optional": True, "default": 60},
        ],
        actions=[
            {
                "id": "later",
                "type": "schedule_workflow",
                "workflow": "mark-paid",
                "at": "{{ now + seconds(params.delay) }}",
                "params": {"order": "{{ params.order }}"},
            },
            {
                "type": "return_data",
                "data": {"id": "{{ steps.later.id }}", "due": "{{ steps.later.due_at }}"},
            },
        ],
    )


def test_schedule_workflow_stores_a_validated_run_as_the_caller(
    scheduler_wf, order, user, frozen_now
):
    result = engine.run(scheduler_wf, {"order": order.pk}, user)
    assert result.ok, result.error
    row = ScheduledRun.objects.get()
    assert result.response["id"] == str(row.pk)
    assert row.workflow.name == "mark-paid"
    assert row.params == {"order": {"_type": "examples.Order", "_id": order.pk}}
    assert row.actor == user and row.scheduled_by == result.run and row.depth == 1
    assert row.status == Status.SCHEDULED and row.origin == Origin.ACTION
    assert row.due_at == frozen_now + datetime.timedelta(seconds=60)


def test_runs_when_due_as_the_user_who_scheduled_it(scheduler_wf, order, user, drain, later):
    parent = engine.run(scheduler_wf, {"order": order.pk}, user).run
    assert drain() == []  # not due yet
    assert drain(later(seconds=61)) == [Status.SUCCEEDED]
    order.refresh_from_db()
    assert (order.status, order.note) == ("paid", "by alice")
    row = ScheduledRun.objects.get()
    assert row.status == Status.SUCCEEDED and row.attempts == 1 and row.finished_at
    run = row.run
    assert run.source == RunSource.SCHEDULED and run.actor == user
    assert run.parent == parent and run.depth == 1 and run.status == RunStatus.SUCCEEDED


def test_a_time_in_the_past_runs_at_once(scheduler_wf, order, user, drain, frozen_now):
    engine.run(scheduler_wf, {"order": order.pk, "delay": -3600}, user)
    row = ScheduledRun.objects.get()
    assert row.due_at == frozen_now
    assert drain() == [Status.SUCCEEDED]


def test_parameters_are_checked_when_scheduling(make_workflow, mark_paid, user):
    wf = make_workflow(
        "bad-schedule",
        actions=[
            {"type": "schedule_workflow", "workflow": "mark-paid", "params": {"order": "12345"}}
        ],
    )
    result = engine.run(wf, {}, user)
    assert result.error.code == "NOT_FOUND" and "12345" in result.error.message
    assert not ScheduledRun.objects.exists()


def test_a_failing_later_step_leaves_nothing_scheduled(make_workflow, mark_paid, order, user):
    wf = make_workflow(
        "schedule-then-fail",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {
                "type": "schedule_workflow",
                "workflow": "mark-paid",
                "params": {"order": "{{ params.order }}"},
            },
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"total": "not a number"},
            },
        ],
    )
    result = engine.run(wf, {"order": order.pk}, user)
    assert result.run.status == RunStatus.FAILED
    assert not ScheduledRun.objects.exists()


def test_only_api_workflows_can_be_scheduled(make_workflow):
    make_workflow("event", kind="custom_event")
    from workflows.exceptions import DefinitionError

    with pytest.raises(DefinitionError, match="only API workflows can be scheduled"):
        make_workflow("x", actions=[{"type": "schedule_workflow", "workflow": "event"}])


def test_duplicate_delivery_and_cancel_while_queued_do_nothing(mark_paid, order, user):
    from scheduler import services

    row = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    (pk,) = dispatch_due(enqueue=False).queued
    assert execute_scheduled_run(pk) == Status.SUCCEEDED
    assert execute_scheduled_run(pk) == "skipped"
    assert Run.objects.filter(workflow_name="mark-paid").count() == 1

    other = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    dispatch_due(enqueue=False)
    assert services.cancel([other.pk]) == 1
    assert execute_scheduled_run(str(other.pk)) == "skipped"
    assert ScheduledRun.objects.get(pk=other.pk).status == Status.CANCELLED
    assert services.cancel([row.pk]) == 0  # finished runs are not cancellable


def test_a_thing_deleted_before_the_run_fails_it_with_a_log(mark_paid, order, user, drain):
    from scheduler import services

    services.schedule(mark_paid, {"order": order.pk}, actor=user)
    Order.objects.all().delete()
    assert drain() == [Status.FAILED]
    row = ScheduledRun.objects.get()
    assert row.run.status == RunStatus.FAILED and row.run.error_code == "NOT_FOUND"
    assert "NOT_FOUND" in row.last_error


@pytest.fixture
def flaky(make_workflow):
    return make_workflow(
        "flaky",
        retries=2,
        retry_delay=10,
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"total": "{{ 1 / 0 if params.order.note == 'fail' else 5 }}"},
            }
        ],
    )


def test_retries_with_exponential_backoff_then_fails(flaky, order, user, drain, later, frozen_now):
    from scheduler import services

    order.note = "fail"
    order.save()
    row = services.schedule(flaky, {"order": order.pk}, actor=user)
    assert drain() == ["retrying"]
    row.refresh_from_db()
    assert row.status == Status.SCHEDULED and row.attempts == 1
    assert row.due_at == frozen_now + datetime.timedelta(seconds=10)
    assert "attempt 1" in row.last_error
    assert drain(later(seconds=11)) == ["retrying"]
    row.refresh_from_db()
    assert row.due_at == frozen_now + datetime.timedelta(seconds=20)  # doubled
    assert drain(later(seconds=25)) == [Status.FAILED]
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 3
    assert Run.objects.filter(workflow_name="flaky", status=RunStatus.FAILED).count() == 3


def test_a_retry_can_succeed(flaky, order, user, drain, later):
    from scheduler import services

    order.note = "fail"
    order.save()
    services.schedule(flaky, {"order": order.pk}, actor=user)
    assert drain() == ["retrying"]
    Order.objects.filter(pk=order.pk).update(note="")
    assert drain(later(seconds=11)) == [Status.SUCCEEDED]


def test_runs_later_than_missed_after_are_marked_missed(make_workflow, drain):
    from scheduler import services

    wf = make_workflow("tolerant", missed_after=60, actions=[{"type": "log", "message": "hi"}])
    on_time = services.schedule(wf, {})
    late = services.schedule(wf, {})
    ScheduledRun.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert drain() == [Status.SUCCEEDED]
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.status == Status.MISSED and "missed_after" in late.last_error
    assert on_time.status == Status.SUCCEEDED


def test_without_missed_after_late_runs_still_run(make_workflow, drain):
    from scheduler import services

    wf = make_workflow("patient", actions=[{"type": "log", "message": "hi"}])
    row = services.schedule(wf, {})
    ScheduledRun.objects.filter(pk=row.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=3)
    )
    assert drain() == [Status.SUCCEEDED]


def test_pausing_the_scheduler_or_a_workflow(make_workflow, drain):
    from scheduler import services

    a = make_workflow("a", actions=[{"type": "log", "message": "a"}])
    b = make_workflow("b", actions=[{"type": "log", "message": "b"}])
    services.schedule(a, {})
    services.schedule(b, {})
    Pause.objects.create(key=Pause.key_for(None))
    assert drain() == []
    Pause.objects.all().delete()
    Pause.objects.create(key=Pause.key_for(a), workflow=a)
    assert drain() == [Status.SUCCEEDED]
    assert ScheduledRun.objects.get(workflow=a).status == Status.SCHEDULED
    Pause.objects.all().delete()
    assert drain() == [Status.SUCCEEDED]


def test_reaper_requeues_lost_queued_runs(mark_paid, order, user, later):
    from scheduler import services

    row = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    dispatch_due(enqueue=False)  # handed to a queue that then loses it
    assert reap_lost() == 0  # lease still valid
    assert reap_lost(later(seconds=301)) == 1
    row.refresh_from_db()
    assert row.status == Status.SCHEDULED
    assert execute_scheduled_run(str(row.pk)) == "skipped"  # the lost task, delivered late
    (pk,) = dispatch_due(enqueue=False).queued
    assert execute_scheduled_run(pk) == Status.SUCCEEDED


def test_a_worker_dying_mid_run_is_retried_and_logged(mark_paid, order, user, later, drain):
    from scheduler import services

    row = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    dispatch_due(enqueue=False)
    claimed = claim(str(row.pk))
    # the worker wrote its Run row, then died: its transaction never committed
    dead = Run.objects.create(workflow=mark_paid, workflow_name="mark-paid", actor=user)
    ScheduledRun.objects.filter(pk=row.pk).update(run=dead)
    assert claimed.status == Status.RUNNING
    assert reap_lost(later(seconds=mark_paid.timeout + 30)) == 0  # within its lease
    assert reap_lost(later(seconds=mark_paid.timeout + 61)) == 1
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and dead.error_code == "WORKER_LOST"
    assert drain(later(seconds=mark_paid.timeout + 62)) == [Status.SUCCEEDED]
    row.refresh_from_db()
    assert row.attempts == 2 and row.status == Status.SUCCEEDED


def test_a_run_that_keeps_killing_its_worker_ends_failed(mark_paid, order, user, later, settings):
    from scheduler import services

    settings.BUBBLE_SCHEDULER = {"LOST_RETRIES": 1}
    row = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    moment = timezone.now()
    for _ in range(2):
        assert dispatch_due(moment, enqueue=False).queued == [str(row.pk)]
        claim(str(row.pk), now=moment)
        moment += datetime.timedelta(seconds=mark_paid.timeout + 61)
        reap_lost(moment)
    row.refresh_from_db()
    assert row.status == Status.FAILED and "worker stopped" in row.last_error


def test_a_worker_that_lost_its_claim_rolls_back(mark_paid, order, user):
    from scheduler import services

    row = services.schedule(mark_paid, {"order": order.pk}, actor=user)
    dispatch_due(enqueue=False)
    claimed = claim(str(row.pk))
    # meanwhile the reaper gave the run to another worker, which claimed it again
    ScheduledRun.objects.filter(pk=row.pk).update(attempts=2)
    assert run_claimed(claimed) == "lost"
    order.refresh_from_db()
    assert order.status == "new"  # the slow worker's effects were rolled back
    assert claimed.run.error_code == "CLAIM_LOST"


def test_self_scheduling_is_stopped_by_the_depth_guard(make_workflow, drain, settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_DEPTH": 3}
    wf = make_workflow(
        "forever",
        actions=[{"type": "schedule_workflow", "workflow": "forever"}],
    )
    engine.run(wf, {}, None)
    outcomes = drain()
    assert outcomes == [Status.SUCCEEDED, Status.SUCCEEDED, Status.FAILED]
    last = Run.objects.filter(workflow_name="forever").order_by("-depth").first()
    assert last.depth == 3 and last.error_code == "MAX_DEPTH_EXCEEDED"
    assert "BUBBLE_MAX_DEPTH" in last.error_message
    assert ScheduledRun.objects.filter(status=Status.SCHEDULED).count() == 0


# --- schedule_workflow's ignore_privacy ---------------------------------------------------
# Privacy tests start with no rules (the ``privacy`` marker); ``rule`` and ``shop`` come
# from the privacy tests: alice owns orders a1 and a2, bob owns b1.
rule = privacy_fixtures.rule
shop = privacy_fixtures.shop


@pytest.fixture
def owner_sees_own(rule):
    rule("thing.customer.user == current_user", view_all=True, find_in_searches=True)


@pytest.fixture
def cancel_found(make_workflow):
    """Cancels every order its user finds."""
    return make_workflow(
        "cancel-found",
        actions=[
            {
                "type": "make_changes_to_list",
                "list": "{{ search('examples.Order') }}",
                "changes": {"status": "cancelled"},
            },
        ],
    )


@pytest.fixture
def note_order(make_workflow):
    """Changes the order it is given."""
    return make_workflow(
        "note-order",
        parameters=[{"key": "order", "type": "thing", "data_type": "examples.Order"}],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"note": "noted"}},
        ],
    )


def _scheduling(make_workflow, name, workflow, *, ignore_privacy=None, params=None):
    """A workflow whose one action schedules ``workflow`` now, with or without the option."""
    action = {"type": "schedule_workflow", "workflow": workflow, "params": params or {}}
    if ignore_privacy is not None:
        action["ignore_privacy"] = ignore_privacy
    return make_workflow(name, actions=[action])


@pytest.mark.privacy
@pytest.mark.parametrize(
    ("ignore_privacy", "cancelled"),
    [(True, {"a1", "a2", "b1"}), (False, {"a1", "a2"}), (None, {"a1", "a2"})],
)
def test_a_run_scheduled_ignoring_privacy_finds_and_changes_what_its_user_cannot(
    shop, owner_sees_own, cancel_found, make_workflow, user, drain, ignore_privacy, cancelled
):
    parent = _scheduling(make_workflow, "later", "cancel-found", ignore_privacy=ignore_privacy)
    assert engine.run(parent, {}, user).ok
    assert ScheduledRun.objects.get().ignore_privacy is bool(ignore_privacy)
    outcomes = drain()
    run = Run.objects.get(workflow_name="cancel-found")
    assert outcomes == [Status.SUCCEEDED], (run.error_code, run.error_message)
    assert run.actor == user  # still alice's run: only the privacy rules are lifted
    statuses = dict(Order.objects.values_list("note", "status"))
    assert {note for note, status in statuses.items() if status == "cancelled"} == cancelled


@pytest.mark.privacy
def test_a_thing_its_user_cannot_reach_may_be_passed_only_when_ignoring_privacy(
    shop, owner_sees_own, note_order, make_workflow, user, drain
):
    bobs = shop["b1"]
    params = {"order": bobs.pk}
    respecting = _scheduling(make_workflow, "respecting", "note-order", params=params)
    refused = engine.run(respecting, {}, user)
    assert refused.error.code == "NOT_FOUND" and str(bobs.pk) in refused.error.message
    assert not ScheduledRun.objects.exists()  # refused when scheduling, not when it runs

    ignoring = _scheduling(
        make_workflow, "ignoring", "note-order", ignore_privacy=True, params=params
    )
    assert engine.run(ignoring, {}, user).ok
    assert drain() == [Status.SUCCEEDED]  # looked up again when it runs, still ignoring
    bobs.refresh_from_db()
    assert bobs.note == "noted"
