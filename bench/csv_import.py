"""CSV import of a data type defined without code: ``import_csv`` against a hand-written
loader of the same file.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.csv_import --rows N --rounds R

Makes the data type ``BenchLead`` (six fields: a unique text, a text, a number, a yes/no,
a date and a list of texts) and a file of ``N`` rows with them and Bubble's ``Created
Date`` and ``unique id`` columns, as a Bubble export has them. Then, ``R`` times, in turn:

* ours: ``workflows.data_model.csv_io.import_csv`` of the file (every cell read by its
  field's type, every row checked as a save checks it, unique fields checked against the
  file and the table, ``bulk_create`` in batches, one transaction);
* baseline: what a developer would write by hand for that one file: ``csv.reader``, each
  cell converted with ``float()``, ``== "yes"``, ``datetime.fromisoformat`` and a split on
  commas, then ``bulk_create`` of the same rows in batches of 1000 in one transaction —
  no checks, no error report.

The table is emptied (outside the timing) before each import. Prints one JSON line: each
round's seconds, the medians and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import django

#: docs/performance.md: 100,000 rows on PostgreSQL in under 30 s (issue 15)
GOAL_S = 30.0
TARGET_ROWS = 100_000
BATCH = 1000
TYPE = {
    "name": "BenchLead",
    "display_field": "email",
    "fields": [
        {"name": "email", "type": "text", "unique": True},
        {"name": "name", "type": "text"},
        {"name": "score", "type": "number"},
        {"name": "active", "type": "yes_no"},
        {"name": "joined", "type": "date"},
        {"name": "tags", "type": "text", "list": True},
    ],
}
HEADER = ["email", "name", "score", "active", "joined", "tags", "Created Date", "unique id"]


def write_file(path: Path, rows: int) -> None:
    """``rows`` leads, as Bubble's export writes them (dates ISO 8601, lists ``a , b``)."""
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            moment = start + datetime.timedelta(minutes=i)
            writer.writerow(
                [
                    f"lead{i}@example.com",
                    f"Lead number {i}",
                    f"{i % 1000 / 10:g}",
                    "yes" if i % 3 else "no",
                    moment.isoformat(),
                    "new , web" if i % 2 else "referral",
                    (moment - datetime.timedelta(days=30)).isoformat(),
                    f"{1672531200000 + i}x{i:018d}",
                ]
            )


def ours(path: Path, rows: int) -> float:
    from workflows.data_model.csv_io import import_csv

    started = time.perf_counter()
    report = import_csv("BenchLead", path)
    elapsed = time.perf_counter() - started
    if not report.ok or report.imported != rows:
        raise RuntimeError(f"the import failed: {report.summary()} {report.errors[:3]}")
    return elapsed


def baseline(path: Path, rows: int) -> float:
    """The same file loaded by hand: plain conversions, ``bulk_create``, no checks."""
    from django.db import transaction

    from workflows import data_types

    model = data_types.get_model("BenchLead")
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f, transaction.atomic():
        reader = csv.reader(f)
        next(reader)
        batch = []
        for email, name, score, active, joined, tags, created, unique_id in reader:
            moment = datetime.datetime.fromisoformat(created)
            batch.append(
                model(
                    email=email,
                    name=name,
                    score=float(score),
                    active=active == "yes",
                    joined=datetime.datetime.fromisoformat(joined),
                    tags=[t.strip() for t in tags.split(",")],
                    created_date=moment,
                    modified_date=moment,
                    unique_id=unique_id,
                )
            )
            if len(batch) == BATCH:
                model.objects.bulk_create(batch)
                batch = []
        model.objects.bulk_create(batch)
    elapsed = time.perf_counter() - started
    if model.objects.count() != rows:
        raise RuntimeError("the baseline did not load every row")
    return elapsed


def empty_table() -> None:
    from django.db import connection

    from workflows import data_types

    table = connection.ops.quote_name(data_types.get_model("BenchLead")._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a quoted table name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    django.setup()
    from django.db import connection

    from workflows.data_model import schema

    schema.create_data_type(TYPE)
    with tempfile.TemporaryDirectory(prefix="bench-csv-") as tmp:
        path = Path(tmp) / "leads.csv"
        write_file(path, args.rows)
        size = path.stat().st_size
        ours_s, base_s = [], []
        for _ in range(args.rounds):
            empty_table()
            ours_s.append(ours(path, args.rows))
            empty_table()
            base_s.append(baseline(path, args.rows))
    ours_median, base_median = statistics.median(ours_s), statistics.median(base_s)
    result: dict[str, Any] = {
        "rows": args.rows,
        "fields": len(TYPE["fields"]),
        "columns": len(HEADER),
        "file_mib": round(size / 1024 / 1024, 1),
        "rounds": args.rounds,
        "vendor": connection.vendor,
        "ours_rounds_s": [round(s, 3) for s in ours_s],
        "baseline_rounds_s": [round(s, 3) for s in base_s],
        "ours_s": round(ours_median, 4),
        "baseline_s": round(base_median, 4),
        "ratio": round(ours_median / base_median, 2),
        "ours_rows_per_s": round(args.rows / ours_median),
        "ours_s_at_100k": round(ours_median * TARGET_ROWS / args.rows, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
