"""Hand-written SQL against the ORM, use by use, as a share of the call that makes it.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.statements [--calls N]

``workflows/statements.py`` builds the SQL of a few statements once per process instead of
through Django's query compiler. docs/performance.md keeps it only where it is worth more
than 10% of a call on either database (the scheduler's guarded status changes were
measured under that and went back to the ORM). For each use kept, this measures
in-process, on the database of ``DATABASE_URL``, the µs per use both ways (median of
rounds, the same rows, each way after the other) and gives the difference as a share of
the call it is part of, measured in the same run:

* an API call: ``POST /api/1.1/wf/bench-create-customer`` through Django's test client
  (authentication, the workflow, the run's start, its steps, its end);
* a scheduled run's execution (``scheduler.execution.execute_scheduled_run`` of a
  ``bench-tick`` run): its load, its claim (with the ``Run`` row) and its end.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import django

ROUNDS = 5


def _timed(fn: Callable[[], object], calls: int) -> float:
    """Median over ``ROUNDS`` of the mean µs per call of ``fn``."""
    per_round = max(1, calls // ROUNDS)
    means = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(per_round):
            fn()
        means.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(means)


def _pair(hand: Callable[[], object], orm: Callable[[], object], calls: int) -> dict[str, float]:
    for _ in range(max(20, calls // 20)):  # warm both
        hand()
        orm()
    hand_us, orm_us = _timed(hand, calls), _timed(orm, calls)
    return {"hand_us": round(hand_us, 1), "orm_us": round(orm_us, 1)}


def measure(calls: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from scheduler import services
    from scheduler.execution import execute_scheduled_run
    from scheduler.loading import WORKFLOW_FIELDS, load_scheduled_run
    from scheduler.models import ScheduledRun, Status
    from workflows import statements
    from workflows.choices import RunSource, RunStatus, StepStatus, WorkflowKind
    from workflows.models import ApiKey, Run, StepRun, Workflow
    from workflows.services import api_key_create

    user, _ = get_user_model().objects.get_or_create(username="bench-statements")
    key_row, key = api_key_create(user=user, name="bench-statements")
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host, not "testserver"
    body = json.dumps({"name": "Ada Lovelace", "email": "ada@example.com"})

    def api_call() -> None:
        answer = client.post(
            "/api/1.1/wf/bench-create-customer",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert answer.status_code == 200, answer.content

    tick = Workflow.objects.get(name="bench-tick")
    # as the dispatcher hands them to workers: queued, due now
    queued = [str(services.schedule(tick, {}).pk) for _ in range(calls + max(20, calls // 20))]
    ScheduledRun.objects.filter(pk__in=queued).update(status=Status.QUEUED)
    next_queued = iter(queued)

    def scheduled_run() -> None:
        assert execute_scheduled_run(next(next_queued)) == Status.SUCCEEDED

    for _ in range(max(20, calls // 20)):
        api_call()
        scheduled_run()
    calls_of = {"api_call": _timed(api_call, calls), "scheduled_run": _timed(scheduled_run, calls)}

    workflow = Workflow.objects.get(name="bench-create-customer")
    prefix = key_row.prefix

    def new_run() -> Run:
        return Run(
            id=uuid.uuid4(),
            workflow=workflow,
            workflow_name=workflow.name,
            source=RunSource.API,
            status=RunStatus.RUNNING,
            actor=user,
            params={"name": "Ada Lovelace", "email": "ada@example.com"},
        )

    end = {
        "status": RunStatus.SUCCEEDED,
        "result": {"customer": {"_id": 1}},
        "error_code": "",
        "error_message": "",
        "error_parameter": "",
        "finished_at": timezone.now(),
        "duration_ms": 1.2,
    }

    def steps_of(run: Run) -> list[StepRun]:
        return [
            StepRun(
                run=run,
                position=position,
                step_id="customer",
                action_type="create_thing",
                status=StepStatus.SUCCEEDED,
                started_at=timezone.now(),
                inputs={"fields": {"name": "Ada"}},
                output={"_type": "Customer", "_id": 1},
                duration_ms=0.3,
            )
            for position in (1, 2)
        ]

    def log_by_hand() -> None:  # as the engine writes a run's log
        run = new_run()
        statements.insert([run])
        statements.insert(steps_of(run))
        statements.update(Run, run.pk, end)

    def log_by_the_orm() -> None:
        run = new_run()
        Run.objects.bulk_create([run])
        StepRun.objects.bulk_create(steps_of(run))
        Run.objects.filter(pk=run.pk).update(**end)

    scheduled = services.schedule(tick, {}, timezone.now() + datetime.timedelta(days=1))
    transition = {"status": Status.SCHEDULED, "lease_expires_at": None}
    uses: dict[str, tuple[str, Callable[[], object], Callable[[], object]]] = {
        "API key with its user (authentication)": (
            "api_call",
            lambda: statements.select_one(ApiKey, {"prefix": prefix}, related={"user": None}),
            lambda: ApiKey.objects.select_related("user").filter(prefix=prefix).first(),
        ),
        "exposed workflow (development's row)": (
            "api_call",
            lambda: statements.select_one(
                Workflow, {"name": workflow.name, "kind": WorkflowKind.API, "expose": True}
            ),
            lambda: Workflow.objects.filter(
                name=workflow.name, kind=WorkflowKind.API, expose=True
            ).first(),
        ),
        "run log: its start, 2 steps, its end (3 statements)": (
            "api_call",
            log_by_hand,
            log_by_the_orm,
        ),
        "scheduled run with its workflow and user (load)": (
            "scheduled_run",
            lambda: load_scheduled_run(scheduled.pk),
            lambda: (
                ScheduledRun.objects.select_related("workflow", "actor")
                .only(
                    *(f.name for f in ScheduledRun._meta.concrete_fields),
                    *(f"workflow__{name}" for name in WORKFLOW_FIELDS),
                    *(f"actor__{f.name}" for f in get_user_model()._meta.concrete_fields),
                )
                .filter(pk=scheduled.pk)
                .first()
            ),
        ),
    }
    if statements.can_update_then_insert(ScheduledRun):

        def claim_and_log() -> None:
            with transaction.atomic():
                statements.update_then_insert(
                    ScheduledRun, scheduled.pk, transition, {"status": Status.SCHEDULED}, new_run()
                )

        def claim_then_log() -> None:
            with transaction.atomic():
                if ScheduledRun.objects.filter(pk=scheduled.pk, status=Status.SCHEDULED).update(
                    **transition
                ):
                    Run.objects.bulk_create([new_run()])

        uses["claim and the run's row (PostgreSQL: one statement)"] = (
            "scheduled_run",
            claim_and_log,
            claim_then_log,
        )
    results = []
    for use, (call, hand, orm) in uses.items():
        pair = _pair(hand, orm, calls)
        saved = pair["orm_us"] - pair["hand_us"]
        results.append(
            {
                "use": use,
                "call": call,
                **pair,
                "saved_us": round(saved, 1),
                "share_of_call": round(saved / calls_of[call], 3),
            }
        )
    return {
        "database": connection.vendor,
        "calls": calls,
        "api_call_us": round(calls_of["api_call"], 1),
        "scheduled_run_us": round(calls_of["scheduled_run"], 1),
        "uses": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    django.setup()
    print(json.dumps(measure(args.calls)))


if __name__ == "__main__":
    main()
