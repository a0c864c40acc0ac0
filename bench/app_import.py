"""Bringing a Bubble app over: ``import_bubble_app`` from a local stand-in of five linked
types, against a hand-written copy of the same pages.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.app_import --rows N

The stand-in (tests/bubble_import/stand_in.py, in a process of its own so it does not
share this one's interpreter) serves ``N`` rows: users (2 %), units (28 %, a link to a
user, an address, an image), orders (30 %, a list of three units and a link to a user),
reviews (20 %, a link to a unit) and payments (20 %, a link to an order) — 100 rows a
page, as Bubble's Data API. Then, on the same database:

* ours: ``manage.py import_bubble_app`` (the plan from the Swagger file, data types and
  workflows made, pages read 4 at a time, each value read by its field's type, rows
  written by their Bubble id, links and lists resolved after, users as accounts);
* baseline: what a developer would write by hand for this one app: each type's pages
  read one after the other with httpx, rows built with plain conversions and
  ``bulk_create``d into the same tables — no links, no users, no checks, no report.

The tables are emptied before the baseline. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import multiprocessing
import os
import time
from typing import Any

import django

from tests.bubble_import.stand_in import _ref  # a link, as Bubble's Swagger writes it

#: docs/performance.md: 100,000 rows over five types on PostgreSQL in under two minutes
GOAL_S = 120.0
TARGET_ROWS = 100_000
SHARES = {"user": 0.02, "unit": 0.28, "order": 0.30, "review": 0.20, "payment": 0.20}


SWAGGER = {
    "swagger": "2.0",
    "paths": {f"/obj/{name}": {"get": {}} for name in SHARES},
    "definitions": {
        "user": {"properties": {"_id": {"type": "string"}, "email": {"type": "string"}}},
        "unit": {
            "properties": {
                "Unit name": {"type": "string"},
                "Price": {"type": "number"},
                "Active": {"type": "boolean"},
                "Location": {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "lat": {"type": "number"},
                        "lng": {"type": "number"},
                    },
                },
                "Photo": {"type": "string"},
                "Owner": _ref("User"),
            }
        },
        "order": {
            "properties": {
                "Placed": {"type": "string", "format": "date-time"},
                "Units": {"type": "array", "items": _ref("Unit")},
                "Buyer": _ref("User"),
                "Total": {"type": "number"},
            }
        },
        "review": {
            "properties": {
                "Unit": _ref("Unit"),
                "Stars": {"type": "number"},
                "Text": {"type": "string"},
            }
        },
        "payment": {
            "properties": {
                "Order": _ref("Order"),
                "Amount": {"type": "number"},
                "Paid": {"type": "string", "format": "date-time"},
            }
        },
    },
}


def _id(kind: int, n: int) -> str:
    return f"17{kind:02d}{n:09d}x{n * 7919 % 10**18:018d}"


def rows(total: int) -> dict[str, list[dict[str, Any]]]:
    """The app's rows: ``total`` over the five types, linked."""
    counts = {name: max(int(total * share), 1) for name, share in SHARES.items()}
    counts["payment"] += total - sum(counts.values())
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)

    def built_in(kind: int, n: int, creator: str | None) -> dict[str, Any]:
        moment = (start + datetime.timedelta(seconds=n * 37)).isoformat()
        row = {"_id": _id(kind, n), "Created Date": moment, "Modified Date": moment}
        if creator:
            row["Created By"] = creator
        return row

    users = [
        {**built_in(1, n, None), "email": f"user{n}@example.com"} for n in range(counts["user"])
    ]
    owner = [u["_id"] for u in users]
    units = [
        {
            **built_in(2, n, owner[n % len(owner)]),
            "Unit name": f"Unit {n}",
            "Price": n % 500 + 0.5,
            "Active": n % 2 == 0,
            "Location": {"address": f"{n} Main St", "lat": 48.0 + n % 10, "lng": 2.0},
            "Photo": f"//s3.amazonaws.com/appforest_uf/f{n}/unit.png",
            "Owner": owner[n % len(owner)],
        }
        for n in range(counts["unit"])
    ]
    orders = [
        {
            **built_in(3, n, owner[n % len(owner)]),
            "Placed": built_in(3, n, None)["Created Date"],
            "Units": [units[(n * 3 + k) % len(units)]["_id"] for k in range(3)],
            "Buyer": owner[n % len(owner)],
            "Total": n % 900 + 1.0,
        }
        for n in range(counts["order"])
    ]
    reviews = [
        {
            **built_in(4, n, owner[n % len(owner)]),
            "Unit": units[n % len(units)]["_id"],
            "Stars": n % 5 + 1,
            "Text": f"Review {n}",
        }
        for n in range(counts["review"])
    ]
    payments = [
        {
            **built_in(5, n, None),
            "Order": orders[n % len(orders)]["_id"],
            "Amount": n % 900 + 1.0,
            "Paid": built_in(5, n, None)["Created Date"],
        }
        for n in range(counts["payment"])
    ]
    return {"user": users, "unit": units, "order": orders, "review": reviews, "payment": payments}


def _serve(total: int, ready: Any) -> None:
    from tests.bubble_import.stand_in import StandIn, running

    with running(StandIn(rows=rows(total), swagger=SWAGGER, meta_on=False)) as app:
        ready.send(app.address)
        ready.recv()  # until the parent is done


def ours(address: str) -> float:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_bubble_app", address, stdout=out)
    return time.perf_counter() - started


def baseline(address: str, total: int) -> float:
    """Every page read one after the other, rows ``bulk_create``d: no links, no users."""
    import httpx
    from django.db import transaction

    from tests.bubble_import.stand_in import TOKEN
    from workflows import data_types

    plain = {"Unit name": "unit_name", "Price": "price", "Active": "active"}
    plain |= {"Location": "location", "Photo": "photo", "Total": "total", "Stars": "stars"}
    plain |= {"Text": "text", "Amount": "amount"}
    dates = {"Placed": "placed", "Paid": "paid"}
    started = time.perf_counter()
    copied = 0
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        for name in ("unit", "order", "review", "payment"):
            model = data_types.get_model(name.title())
            cursor, remaining = 0, 1
            while remaining:
                page = client.get(f"{address}/api/1.1/obj/{name}", params={"cursor": cursor})
                answer = page.json()["response"]
                things = []
                for row in answer["results"]:
                    created = datetime.datetime.fromisoformat(row["Created Date"])
                    values = {plain[k]: v for k, v in row.items() if k in plain}
                    values |= {
                        dates[k]: datetime.datetime.fromisoformat(v)
                        for k, v in row.items()
                        if k in dates
                    }
                    things.append(
                        model(
                            unique_id=row["_id"],
                            created_date=created,
                            modified_date=created,
                            **values,
                        )
                    )
                with transaction.atomic():
                    model.objects.bulk_create(things)
                copied += len(things)
                cursor += len(answer["results"])
                remaining = answer["remaining"]
    elapsed = time.perf_counter() - started
    expected = total - len(rows(total)["user"])
    if copied != expected:
        raise RuntimeError(f"the baseline copied {copied} rows, not {expected}")
    return elapsed


def empty_tables() -> None:
    from django.db import connection

    from workflows import data_types

    with connection.cursor() as cursor:
        for name in ("Payment", "Review", "Order", "Unit"):
            model = data_types.get_model(name)
            tables = [model._meta.db_table]
            tables += [f.remote_field.through._meta.db_table for f in model._meta.many_to_many]
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    args = parser.parse_args()
    django.setup()
    from django.db import connection

    from bubble_import.models import BubbleImport
    from tests.bubble_import.stand_in import TOKEN

    os.environ["BUBBLE_SOURCE_API_TOKEN"] = TOKEN
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(args.rows, child))
    server.start()
    try:
        address = parent.recv()
        ours_s = ours(address)
        bubble_import = BubbleImport.objects.get()
        if bubble_import.status != BubbleImport.Status.FINISHED:
            raise RuntimeError(f"the import ended {bubble_import.status}")
        counts = {t["bubble_name"]: t["here"] for t in bubble_import.report["types"]}
        empty_tables()
        base_s = baseline(address, args.rows)
    finally:
        parent.send("done")
        server.join(timeout=30)
    result = {
        "rows": args.rows,
        "types": len(SHARES),
        "vendor": connection.vendor,
        "counts": counts,
        "ours_s": round(ours_s, 2),
        "baseline_s": round(base_s, 2),
        "ratio": round(ours_s / base_s, 2),
        "ours_rows_per_s": round(args.rows / ours_s),
        "ours_s_at_100k": round(ours_s * TARGET_ROWS / args.rows, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
