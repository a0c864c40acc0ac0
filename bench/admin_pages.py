"""The admin's Scheduler and Runs pages with many rows: server time per page view.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.admin_pages --rows N

Bulk-inserts ``N`` scheduled runs and ``N`` runs (SQL multi-row inserts, not model
objects: a million rows must not take the benchmark's whole budget), spread over ten
workflows, three users, a few statuses and two months, as a busy installation's would be.
Then renders each page view with Django's test client as a logged-in superuser, in this
process: the time is the server's (queries, templates, middleware), no network. Each view
is rendered once to warm up, then ``--views`` times; its median and max are reported.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import django

GOAL_S = 0.5  # docs/performance.md: the Scheduler page, 1,000,000 rows, answers in < 0.5 s
WORKFLOWS = 10
USERS = 3
#: scheduled-run statuses as a busy installation has them: mostly history, some upcoming
SCHEDULED_MIX = (("succeeded", 0.55), ("scheduled", 0.3), ("failed", 0.05), ("cancelled", 0.1))
RUN_MIX = (("succeeded", 0.9), ("failed", 0.08), ("condition_not_met", 0.02))


def insert_rows(model: Any, common: dict[str, Any], per_row: tuple[str, ...], rows: Iterable):
    """Insert one row per tuple of ``per_row`` values, ``common`` values in every row and
    the model's defaults elsewhere; multi-row INSERTs (executemany on PostgreSQL)."""
    from django.db import connection

    meta = model._meta
    fields = list(meta.concrete_fields)
    template = model(**common)
    shared = {
        f.attname: f.get_db_prep_save(getattr(template, f.attname), connection)
        for f in fields
        if f.name not in per_row and f.attname not in per_row
    }
    own = [meta.get_field(name) for name in per_row]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = 30_000 // len(fields) if connection.vendor == "sqlite" else 200

    def statement(count: int) -> str:
        return f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * count)}"  # noqa: S608

    def batches() -> Iterator[list[Any]]:
        batch: list[Any] = []
        for count, values in enumerate(rows, 1):
            prepared = zip(own, values, strict=True)
            mine = {f.attname: f.get_db_prep_save(v, connection) for f, v in prepared}
            batch.extend(mine.get(f.attname, shared.get(f.attname)) for f in fields)
            if count % size == 0:
                yield batch
                batch = []
        if batch:
            yield batch

    full_statement = statement(size)
    with connection.cursor() as cursor:
        pending: list[list[Any]] = []
        for batch in batches():
            if len(batch) == size * len(fields):
                pending.append(batch)
                if len(pending) >= 20:
                    cursor.executemany(full_statement, pending)
                    pending = []
            else:
                cursor.execute(statement(len(batch) // len(fields)), batch)
        if pending:
            cursor.executemany(full_statement, pending)


def _mix(total: int, mix: tuple[tuple[str, float], ...]) -> list[tuple[str, int]]:
    counts = [(status, int(total * share)) for status, share in mix]
    counts[0] = (counts[0][0], counts[0][1] + total - sum(n for _, n in counts))
    return counts


def populate(rows: int) -> dict[str, Any]:
    """``rows`` scheduled runs and ``rows`` runs; the ids the page views filter on."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from scheduler.models import ScheduledRun
    from workflows.models import Run, Workflow

    now = timezone.now()
    users = [
        get_user_model().objects.get_or_create(username=f"bench-user-{i}")[0] for i in range(USERS)
    ]
    workflows = [
        Workflow.objects.get_or_create(name=f"bench-admin-{i}", defaults={"kind": "api"})[0]
        for i in range(WORKFLOWS)
    ]
    span = datetime.timedelta(days=30).total_seconds()
    started = time.perf_counter()
    with transaction.atomic():
        for status, count in _mix(rows, SCHEDULED_MIX):
            sign = 1 if status == "scheduled" else -1  # upcoming ahead, history behind
            for w, workflow in enumerate(workflows):
                share = count // WORKFLOWS + (1 if w < count % WORKFLOWS else 0)
                common = {
                    "workflow": workflow,
                    "status": status,
                    "actor": users[w % USERS],
                    "origin": "list",
                }
                insert_rows(
                    ScheduledRun,
                    common,
                    ("id", "params", "due_at"),
                    (
                        (
                            uuid.uuid4(),
                            {"n": i},
                            now + datetime.timedelta(seconds=sign * i * span / share),
                        )
                        for i in range(share)
                    ),
                )
    scheduled_s = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        for status, count in _mix(rows, RUN_MIX):
            for w, workflow in enumerate(workflows):
                share = count // WORKFLOWS + (1 if w < count % WORKFLOWS else 0)
                common = {
                    "workflow": workflow,
                    "workflow_name": workflow.name,
                    "status": status,
                    "source": "scheduled",
                    "actor": users[w % USERS],
                    "params": {"n": 1},
                    "duration_ms": 3.0,
                }
                insert_rows(
                    Run,
                    common,
                    ("id", "started_at", "finished_at"),
                    (
                        (
                            uuid.uuid4(),
                            now - datetime.timedelta(seconds=i * span / share),
                            now - datetime.timedelta(seconds=i * span / share),
                        )
                        for i in range(share)
                    ),
                )
    runs_s = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give
            cursor.execute(f"ANALYZE {ScheduledRun._meta.db_table}, {Run._meta.db_table}")
    return {
        "workflow": workflows[3].pk,
        "insert_scheduled_s": round(scheduled_s, 1),
        "insert_runs_s": round(runs_s, 1),
    }


def views(workflow_id: int) -> dict[str, str]:
    """The page views measured: the default view, page 2, filtered ones."""
    scheduler = "/admin/scheduler/scheduledrun/"
    runs = "/admin/workflows/run/"
    return {
        "Scheduler: upcoming (default)": scheduler,
        "Scheduler: upcoming, page 2": f"{scheduler}?p=2",
        "Scheduler: all statuses": f"{scheduler}?status=all",
        "Scheduler: failed": f"{scheduler}?status=failed",
        "Scheduler: one workflow, past due": f"{scheduler}?workflow__id__exact={workflow_id}"
        "&status=all&due=past",
        # the confirmation pages of pause and cancel: they count what they would touch
        "Scheduler: pause, asks first": f"{scheduler}pause/",
        "Scheduler: pause one workflow, asks first": f"{scheduler}pause/?workflow={workflow_id}",
        "Scheduler: cancel all past-due, asks first": f"{scheduler}cancel-past-due/",
        "Runs: all (default)": runs,
        "Runs: page 2": f"{runs}?p=2",
        "Runs: failed": f"{runs}?status__exact=failed",
        "Runs: one workflow": f"{runs}?workflow__id__exact={workflow_id}",
    }


def measure(rows: int, repeats: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    info = populate(rows)
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    pages = {}
    for name, url in views(info["workflow"]).items():
        times = []
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            if attempt:  # the first view warms caches (templates, the capped counts)
                times.append(elapsed)
        pages[name] = {
            "url": url,
            "median_s": round(statistics.median(times), 4),
            "max_s": round(max(times), 4),
        }
    return {"rows": rows, "views": repeats, **info, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=5)
    args = parser.parse_args()
    django.setup()
    print(json.dumps(measure(args.rows, args.views)))


if __name__ == "__main__":
    main()
