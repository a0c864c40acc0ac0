"""scheduler/bulk.py writes due times exactly, whatever their time zone (they skip the
field's own preparation when aware: docs/performance.md, "Bulk")."""

from __future__ import annotations

import datetime
import zoneinfo

from scheduler.bulk import insert_scheduled_runs
from scheduler.models import ScheduledRun

TICK = {"kind": "api", "actions": [{"type": "log", "message": "tick"}]}


def test_due_times_round_trip_in_any_time_zone(make_workflow):
    workflow = make_workflow("tick", **TICK)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    due = [
        datetime.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc),
        datetime.datetime(2030, 7, 1, 12, 0, tzinfo=paris),  # summer time, +02:00
        datetime.datetime(2030, 12, 31, 23, 59, 59, tzinfo=paris),
    ]
    ids = insert_scheduled_runs(
        {"workflow": workflow}, [({"n": i}, at) for i, at in enumerate(due)], batch_size=2
    )
    stored = {str(pk): row for pk, row in ScheduledRun.objects.in_bulk(ids).items()}
    assert [stored[pk].due_at for pk in ids] == due
    assert [stored[pk].params for pk in ids] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert {row.status for row in stored.values()} == {"scheduled"}
