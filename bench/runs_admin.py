"""The admin's Runs list with many runs: each filter and search, a run's page, and what
the text index costs each run's log.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.runs_admin --rows N

Bulk-inserts ``N`` finished runs (SQL multi-row inserts, bench/admin_pages.py) as a busy
installation has them: ten workflows, 200 users and anonymous calls, mostly successes,
8% failures with their error, sources mixed (API calls, scheduled, triggers, a few from
the admin), spread over 30 days, with parameters and results like a shop's (an order as
a thing, a customer's email, a note of words; a tracking number). The text index is built
after the insert and its build time reported: on PostgreSQL as the migration builds it on
an existing table (workflows/migrations/0017_run_search_indexes.py), on SQLite as the
scheduler builds a new index file (workflows/run_text_index.py).

Then each view is rendered with Django's test client as a logged-in superuser, in this
process: the time is the server's (queries, template, middleware). One warm-up, then
``--views`` times; median and max. Searches report whether they were complete (see
workflows/admin/run_search.py).

Last, the cost the text index adds to every run: the run log's two writes (the row when
the run starts, its end when it finishes, as ``statements`` writes them), each committed,
``--writes`` runs per round, ``--rounds`` rounds with the index and as many without
(``write_cost``). The bench's last step: on PostgreSQL the index stays dropped.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import random
import statistics
import time
import uuid
from typing import Any

import django

from .admin_pages import _mix, insert_rows

GOAL_S = 0.5  # issue 16: every list view, filter and search of 1,000,000 runs in < 0.5 s
WORKFLOWS = 10
USERS = 200
CUSTOMERS = 5_000
RUN_MIX = (("succeeded", 0.90), ("failed", 0.08), ("condition_not_met", 0.02))
SOURCE_MIX = (
    ("api", 0.60),
    ("scheduled", 0.22),
    ("trigger", 0.10),
    ("custom_event", 0.05),
    ("recurring", 0.025),
    ("admin", 0.005),
)
WORDS = "alpha beta gamma delta invoice refund shipping pending paid customer order widget".split()
ERRORS = (
    ("ACTION_FAILED", "step 2 (charge): HTTP 502 from the payment gateway, attempt {n}"),
    ("ACTION_FAILED", "step 3 (notify): the mail server refused the message: mailbox full"),
    ("NOT_FOUND", "step 1 (load): no Order with id {i}"),
    ("TIMEOUT", "the run took longer than its timeout (30 s) at step 4 (sync-stock)"),
)
SPAN_S = datetime.timedelta(days=30).total_seconds()
MIGRATION = "workflows.migrations.0017_run_search_indexes"
SQLITE_MIGRATION = "workflows.migrations.0023_run_search_index_file"


def _rows(rows: int, now: datetime.datetime, workflows: list[Any], users: list[Any]):
    """The runs: ids, times, status, source, actor, parameters, result, error."""
    rng = random.Random(16)
    statuses = [s for s, n in _mix(rows, RUN_MIX) for _ in range(n)]
    sources = [s for s, n in _mix(rows, SOURCE_MIX) for _ in range(n)]
    rng.shuffle(statuses)
    rng.shuffle(sources)
    for i in range(rows):
        started = now - datetime.timedelta(seconds=(i + rng.random()) * SPAN_S / rows)
        status = statuses[i]
        workflow = workflows[i % WORKFLOWS]
        actor = None if i % 7 == 0 else users[(i * 31) % USERS]
        params = {
            "order": {"_type": "examples.Order", "_id": i, "_display": f"Order #{i}"},
            "email": f"customer{i % CUSTOMERS}@example.com",
            "note": " ".join(rng.choices(WORDS, k=5)),
        }
        result, code, message = None, "", ""
        if status == "succeeded":
            result = {"ok": True, "total": i % 997, "tracking": f"1Z{i:010d}"}
        elif status == "failed":
            code, template = ERRORS[i % len(ERRORS)]
            message = template.format(n=i % 3 + 1, i=i)
        yield (
            uuid.uuid4(),
            workflow.pk,
            workflow.name,
            status,
            sources[i],
            actor.pk if actor is not None else None,
            params,
            result,
            code,
            message,
            started,
            started + datetime.timedelta(milliseconds=4),
            4.0,
        )


def _text_index(create: bool) -> float:
    """Drop or make the text index as its migration does (on SQLite: the triggers and
    queue, then a new index file built by the scheduler's catch-up), seconds taken."""
    from django.db import connection

    from workflows import run_text_index

    sqlite = connection.vendor == "sqlite"
    migration = importlib.import_module(SQLITE_MIGRATION if sqlite else MIGRATION)
    started = time.perf_counter()
    with connection.schema_editor(atomic=False) as editor:
        if sqlite and create:
            migration.to_index_file(None, editor)
            run_text_index.catch_up()
        elif sqlite:
            with connection.cursor() as cursor:
                migration._drop_0017(cursor)
                cursor.execute(f"DROP TABLE IF EXISTS {migration.STATE}")
        else:
            (migration.create_text_index if create else migration.drop_text_index)(None, editor)
    return time.perf_counter() - started


def populate(rows: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.admin import run_search
    from workflows.models import Run, StepRun, Workflow

    now = timezone.now()
    users = [
        get_user_model().objects.get_or_create(
            username=f"bench-user-{i}", defaults={"email": f"bench-user-{i}@example.com"}
        )[0]
        for i in range(USERS)
    ]
    workflows = [
        Workflow.objects.get_or_create(name=f"shop-{i}", defaults={"kind": "api"})[0]
        for i in range(WORKFLOWS)
    ]
    _text_index(create=False)
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(
            Run,
            {},
            (
                "id",
                "workflow",
                "workflow_name",
                "status",
                "source",
                "actor",
                "params",
                "result",
                "error_code",
                "error_message",
                "started_at",
                "finished_at",
                "duration_ms",
            ),
            _rows(rows, now, workflows, users),
        )
    insert_s = time.perf_counter() - started
    index_s = _text_index(create=True)
    run_search.forget_index_state()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give
            cursor.execute(f"ANALYZE {Run._meta.db_table}")
    # the run page measured: a failed run with ten steps of values
    page_run = Run.objects.filter(status="failed").order_by("-started_at").first()
    for position in range(1, 11):
        StepRun.objects.create(
            run=page_run,
            position=position,
            step_id=f"step-{position}",
            action_type="make_changes",
            status="failed" if position == 10 else "succeeded",
            condition_result=True if position % 2 else None,
            inputs={
                "thing": {"_type": "examples.Order", "_id": position, "_display": "Order"},
                "changes": {"status": "paid", "note": "x" * 400},
                "lines": [{"sku": f"A-{n}", "qty": n} for n in range(8)],
            },
            output={"_type": "examples.Order", "_id": position, "_display": "Order"},
            error="HTTP 502" if position == 10 else "",
        )
    return {
        "insert_s": round(insert_s, 1),
        "index_build_s": round(index_s, 1),
        "page_run": str(page_run.pk),
        "workflow": workflows[3].pk,
        "user": users[5].username,
        "email": users[7].email.upper(),
    }


def views(info: dict[str, Any], now: datetime.datetime, rows: int) -> dict[str, dict[str, Any]]:
    """The views measured: name → query parameters (or a run page's path)."""
    day = (now - datetime.timedelta(days=10)).date().isoformat()
    wf = str(info["workflow"])
    deep = max(2, min(20, rows // 50 - 1))  # a page far down, that exists at this size
    later = 5 if rows >= 10_000 else 2  # a later page of a common word's runs
    return {
        "all (default)": {},
        "page 2": {"p": 2},
        f"page {deep}": {"p": deep},
        "failed": {"status__exact": "failed"},
        "one workflow": {"workflow__id__exact": wf},
        "source: admin (0.5% of runs)": {"source__exact": "admin"},
        "last hour": {"started": "1h"},
        "last 7 days, failed": {"started": "7d", "status__exact": "failed"},
        "from–to: one day, 10 days ago": {"started_from": day, "started_to": day},
        "user, by username": {"user": info["user"]},
        "user, by email (any case)": {"user": info["email"]},
        "workflow + failed + last 30 days + user": {
            "workflow__id__exact": wf,
            "status__exact": "failed",
            "started": "30d",
            "user": info["user"],
        },
        "search: an order (1 run)": {"q": "Order #123457"},
        "search: an email (1 in 5,000 runs)": {"q": "customer4217@example.com"},
        "search: a tracking number's start (many)": {"q": "1Z00001"},
        "search: an error (failed runs)": {"q": "payment gateway"},
        "search: a common word": {"q": "refund"},
        "search: two words, rarely in this order": {"q": "beta alpha gamma delta"},
        "search: no match": {"q": "nothing-like-this"},
        "search + failed": {"q": "mailbox full", "status__exact": "failed"},
        "search + user": {"q": "refund", "user": info["user"]},
        "search: a rare word + admin source": {"q": "invoice refund", "source__exact": "admin"},
        f"search, page {later}": {"q": "refund", "p": later},
        "run page (10 steps)": {"_path": f"/admin/workflows/run/{info['page_run']}/change/"},
    }


def _write_round(count: int, workflow: Any) -> float:
    """Seconds per run to write ``count`` runs' log rows as the engine does: the row at
    the start, its end at the finish, each committed."""
    from django.utils import timezone

    from workflows import statements
    from workflows.models import Run

    started = time.perf_counter()
    for i in range(count):
        run = Run(
            workflow_id=workflow.pk,
            workflow_name=workflow.name,
            source="api",
            status="running",
            params={
                "order": {"_type": "examples.Order", "_id": i, "_display": f"Order #{i}"},
                "email": f"customer{i}@example.com",
                "note": "alpha beta gamma",
            },
        )
        statements.insert([run])
        statements.update(
            Run,
            run.pk,
            {
                "status": "succeeded",
                "result": {"ok": True, "tracking": f"1Z{i:010d}"},
                "error_code": "",
                "error_message": "",
                "finished_at": timezone.now(),
                "duration_ms": 1.0,
            },
        )
    return (time.perf_counter() - started) / count


class _SqliteTriggers:
    """The text index's triggers on SQLite, taken off and put back (their SQL as the
    migration wrote it): what the index costs a run is what its triggers do."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["workflows_run_text%"],
            )
            self.triggers = cursor.fetchall()

    def off(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            for name, _ in self.triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')

    def on(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            for _, sql in self.triggers:
                cursor.execute(sql)


def write_cost(writes: int, rounds: int) -> dict[str, Any]:
    """Rounds with the text index and without it. On SQLite they alternate (the index's
    triggers are taken off and put back); on PostgreSQL the rounds with it come first, then
    it is dropped once (rebuilding it between rounds would take a minute at a million
    runs), with ``synchronous_commit`` off. The source index stays (a B-tree entry per row
    version, within the noise). Medians."""
    from django.db import connection

    from workflows.models import Workflow

    workflow = Workflow.objects.get(name="shop-0")
    _write_round(max(writes // 5, 10), workflow)  # warm-up
    with_index, without = [], []
    if connection.vendor == "sqlite":
        triggers = _SqliteTriggers()
        for _ in range(rounds):
            with_index.append(_write_round(writes, workflow))
            triggers.off()
            without.append(_write_round(writes, workflow))
            triggers.on()
    else:
        with connection.cursor() as cursor:
            # commits not waiting for the disk: its flush, the same with or without the
            # index and on a shared machine the largest and noisiest part, would drown it
            cursor.execute("SET synchronous_commit = off")
        with_index = [_write_round(writes, workflow) for _ in range(rounds)]
        _text_index(create=False)
        without = [_write_round(writes, workflow) for _ in range(rounds)]
    base, ours = statistics.median(without), statistics.median(with_index)
    return {
        "writes": writes,
        "rounds": rounds,
        "alternating": connection.vendor == "sqlite",
        "with_us": round(ours * 1e6, 1),
        "without_us": round(base * 1e6, 1),
        "added_us": round((ours - base) * 1e6, 1),
        "with_rounds_us": [round(s * 1e6, 1) for s in with_index],
        "without_rounds_us": [round(s * 1e6, 1) for s in without],
    }


def measure(rows: int, repeats: int, writes: int, rounds: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    info = populate(rows)
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    pages = {}
    for name, query in views(info, timezone.now(), rows).items():
        url = query.pop("_path", "/admin/workflows/run/")
        times = []
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            response = client.get(url, query)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}")
            if attempt:  # the first view warms caches (templates, the index's presence)
                times.append(elapsed)
        html = response.content.decode()
        pages[name] = {
            "query": query,
            "median_s": round(statistics.median(times), 4),
            "max_s": round(max(times), 4),
            # the list's rows (each starts with its "started" cell), or a run page's steps
            "rows_shown": html.count('class="field-started"') or html.count('class="run-step '),
            **({"complete": 'id="run-search-partial"' not in html} if "q" in query else {}),
        }
    return {
        "rows": rows,
        "views": repeats,
        **info,
        "pages": pages,
        "write_cost": write_cost(writes, rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--writes", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    django.setup()
    print(json.dumps(measure(args.rows, args.views, args.writes, args.rounds)))


if __name__ == "__main__":
    main()
