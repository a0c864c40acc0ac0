"""The scheduler's settings: ``settings.BUBBLE_SCHEDULER`` over these defaults."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # How often the dispatcher looks for due runs, in seconds (a due run starts within
    # about this long plus django-q2's own pick-up time).
    "POLL_INTERVAL": 0.1,
    # Most due runs claimed and handed to django-q2 per query.
    "BATCH_SIZE": 500,
    # A run handed to django-q2 but not started after this many seconds is taken back
    # and handed over again: the last resort for a task lost while its scheduler lives on
    # (runs held by a dead scheduler are taken back as soon as it is found dead).
    "QUEUED_TIMEOUT": 300,
    # Most runs waiting in one scheduler's queue: the dispatcher claims more only once its
    # workers have taken half of them, so a backlog is shared between schedulers.
    "QUEUE_DEPTH": 500,
    # A scheduler whose heartbeat (written every REAP_INTERVAL) is older than this many
    # seconds is taken for dead, and what it held is taken back.
    "HEARTBEAT_TIMEOUT": 30,
    # Extra seconds, past the workflow's own timeout, before a running run whose worker
    # has gone silent is taken back and retried.
    "RUNNING_GRACE": 60,
    # How many times a run whose worker died mid-run is tried again (on top of the
    # workflow's retries), so a run that kills its worker every time ends failed.
    "LOST_RETRIES": 3,
    # How often the reaper looks for lost runs, in seconds.
    "REAP_INTERVAL": 5.0,
    # How often the dispatcher brings SQLite's index of the runs' text up to date, in a
    # thread of its own (workflows/run_text_index.py), in seconds; 0: never (then the Runs
    # search reads more and more runs directly).
    "SEARCH_INDEX_INTERVAL": 5.0,
    # How often the dispatcher does its housekeeping (scheduler/housekeeping.py: deleting
    # user tokens that stopped working), in seconds.
    "HOUSEKEEPING_INTERVAL": 3600.0,
    # Rows written per INSERT / UPDATE by schedule_workflow_on_list and bulk cancelling.
    "BULK_BATCH_SIZE": 5000,
    # The largest list schedule_workflow_on_list accepts.
    "MAX_LIST_ITEMS": 1_000_000,
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "BUBBLE_SCHEDULER", {})}[name]
