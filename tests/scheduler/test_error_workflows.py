"""A workflow's error workflow runs once when one of its runs fails for good — after its
retries, whoever decides it (the engine, the worker, the reaper, the abandoned-run sweep)
— with the failed run's id, workflow, error code, message and step, and never loops."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.utils import timezone

from scheduler import services
from scheduler.dispatch import dispatch_due, reap_lost
from scheduler.execution import claim
from scheduler.models import Origin, ScheduledRun, Status
from workflows import engine
from workflows import services as workflow_services
from workflows.choices import RunSource, RunStatus
from workflows.editor.trial import trial_run
from workflows.models import Run

ON_ERROR = {
    "parameters": [
        {"key": "run_id", "type": "text"},
        {"key": "workflow", "type": "text"},
        {"key": "error_code", "type": "text"},
        {"key": "error_message", "type": "text"},
        {"key": "step", "type": "number", "optional": True},
    ],
    "actions": [{"type": "log", "message": "{{ params.workflow }} failed"}],
}
#: fails at its second step when asked to
SYNC = {
    "parameters": [{"key": "fail", "type": "yes_no", "optional": True, "default": False}],
    "actions": [
        {"type": "log", "message": "starting"},
        {"type": "log", "label": "Divide", "message": "{{ 1 / 0 if params.fail else 1 }}"},
    ],
}


@pytest.fixture
def on_error(make_workflow):
    return make_workflow("on-error", **ON_ERROR)


@pytest.fixture
def sync(make_workflow, on_error):
    return make_workflow("sync", error_workflow="on-error", **SYNC)


def error_runs() -> list[ScheduledRun]:
    return list(ScheduledRun.objects.filter(origin=Origin.ERROR_WORKFLOW))


def test_a_failed_api_run_schedules_its_error_workflow_with_what_went_wrong(
    sync, on_error, user, drain
):
    failed = engine.run(sync, {"fail": True}, user, source=RunSource.API).run
    assert failed.status == RunStatus.FAILED
    [row] = error_runs()
    assert row.workflow == on_error and row.status == Status.SCHEDULED
    assert row.scheduled_by_id == failed.pk and row.actor == user
    assert row.depth == failed.depth + 1
    assert drain() == [Status.SUCCEEDED]
    ran = Run.objects.get(workflow_name="on-error")
    assert ran.parent_id == failed.pk
    assert ran.params == {
        "run_id": str(failed.pk),
        "workflow": "sync",
        "error_code": failed.error_code,
        "error_message": failed.error_message,
        "step": 2,
    }
    assert "step 2 (Divide) failed" in ran.params["error_message"]
    assert len(error_runs()) == 1  # once


def test_a_failure_outside_any_step_gives_no_step(make_workflow, on_error, drain):
    broken = make_workflow("broken", error_workflow="on-error", only_when="1 / 0 > 1")
    failed = engine.run(broken).run
    assert failed.status == RunStatus.FAILED and failed.error_code == "EXPRESSION_ERROR"
    assert drain() == [Status.SUCCEEDED]
    ran = Run.objects.get(workflow_name="on-error")
    assert error_runs()[0].params["step"] is None and ran.params["step"] is None
    assert ran.params["error_code"] == "EXPRESSION_ERROR"


def test_success_a_condition_not_met_and_the_editors_test_run_run_nothing(
    make_workflow, sync, on_error, user
):
    assert engine.run(sync, {"fail": False}, user).ok
    never = make_workflow("never", error_workflow="on-error", only_when="false")
    assert engine.run(never).status == RunStatus.CONDITION_NOT_MET
    edited = {"name": "sync", "error_workflow": "on-error", **SYNC}
    assert trial_run(edited, {"fail": True}, user=user)["status"] == RunStatus.FAILED
    assert error_runs() == []


def test_a_scheduled_run_runs_it_only_after_its_last_retry(
    make_workflow, on_error, user, drain, later, frozen_now
):
    flaky = make_workflow("sync", error_workflow="on-error", retries=2, retry_delay=10, **SYNC)
    services.schedule(flaky, {"fail": True}, actor=user)
    assert drain() == ["retrying"]
    assert drain(later(seconds=11)) == ["retrying"]
    assert error_runs() == []
    assert drain(later(seconds=25)) == [Status.FAILED, Status.SUCCEEDED]  # then on-error
    [row] = error_runs()
    last = ScheduledRun.objects.get(workflow=flaky).run
    assert row.scheduled_by_id == last.pk and row.params["run_id"] == str(last.pk)
    assert row.status == Status.SUCCEEDED
    assert Run.objects.filter(workflow_name="on-error").count() == 1


def test_an_error_workflows_own_failure_runs_no_error_workflow(make_workflow, user, drain):
    # each names the other: ping fails, pong runs and fails, and that is the end
    failing = [{"type": "log", "message": "{{ 1 / 0 }}"}]
    optional = [{"key": "workflow", "type": "text", "optional": True}]
    make_workflow("pong", parameters=optional, actions=failing)
    ping = make_workflow("ping", error_workflow="pong", parameters=optional, actions=failing)
    make_workflow("pong", error_workflow="ping", parameters=optional, actions=failing)
    engine.run(ping, {}, user)
    assert drain() == [Status.FAILED]
    assert drain() == []
    assert [r.workflow.name for r in error_runs()] == ["pong"]
    assert Run.objects.filter(workflow_name="ping").count() == 1


def test_a_workflow_that_keeps_killing_its_worker_runs_it_once(
    sync, on_error, user, later, settings
):
    settings.BUBBLE_SCHEDULER = {"LOST_RETRIES": 1}
    row = services.schedule(sync, {}, actor=user)
    moment = timezone.now()
    for _ in range(2):
        assert dispatch_due(moment, enqueue=False).queued == [str(row.pk)]
        claimed = claim(str(row.pk), now=moment)
        dead = Run.objects.create(workflow=sync, workflow_name="sync", actor=user)
        ScheduledRun.objects.filter(pk=claimed.pk).update(run=dead)
        moment += datetime.timedelta(seconds=sync.timeout + 61)
        reap_lost(moment)
    reap_lost(moment + datetime.timedelta(hours=1))  # nothing more to reap
    [error] = error_runs()
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert error.params["error_code"] == "WORKER_LOST" and error.scheduled_by_id == row.run_id


def test_an_api_run_whose_process_died_runs_it(sync, on_error, user, later):
    lost = Run.objects.create(workflow=sync, workflow_name="sync", source=RunSource.API, actor=user)
    assert workflow_services.runs_abandoned_close(now=later(seconds=sync.timeout + 61)) == 1
    [error] = error_runs()
    assert error.params["run_id"] == str(lost.pk) and error.params["error_code"] == "WORKER_LOST"


def test_an_error_workflow_deleted_since_is_logged_and_the_failure_still_recorded(
    sync, on_error, user, caplog
):
    on_error.delete()
    with caplog.at_level(logging.ERROR, logger="scheduler.error_workflows"):
        failed = engine.run(sync, {"fail": True}, user).run
    failed.refresh_from_db()
    assert failed.status == RunStatus.FAILED and error_runs() == []
    assert "its error workflow was not run: there is no workflow named 'on-error'" in caplog.text


def test_it_runs_one_level_deeper_but_never_beyond_the_depth_limit(sync, on_error, user, settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_DEPTH": 3}
    engine.run(sync, {"fail": True}, user, depth=3)
    [row] = error_runs()
    assert row.depth == 3
