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
    # and handed over again (the Redis broker loses tasks held by a killed cluster).
    "QUEUED_TIMEOUT": 300,
    # Extra seconds, past the workflow's own timeout, before a running run whose worker
    # has gone silent is taken back and retried.
    "RUNNING_GRACE": 60,
    # How many times a run whose worker died mid-run is tried again (on top of the
    # workflow's retries), so a run that kills its worker every time ends failed.
    "LOST_RETRIES": 3,
    # How often the reaper looks for lost runs, in seconds.
    "REAP_INTERVAL": 5.0,
    # Rows written per INSERT / UPDATE by schedule_workflow_on_list and bulk cancelling.
    "BULK_BATCH_SIZE": 5000,
    # The largest list schedule_workflow_on_list accepts.
    "MAX_LIST_ITEMS": 1_000_000,
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "BUBBLE_SCHEDULER", {})}[name]
