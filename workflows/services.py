"""Writes that views, the admin and management commands share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import conf, failures
from .choices import RunSource, RunStatus
from .engine.transactions import kept_when_lost
from .models import ApiKey, Run

#: runs the scheduler owns: its reaper ends them (scheduler.dispatch.reap_lost)
SCHEDULER_SOURCES = (
    RunSource.SCHEDULED,
    RunSource.ON_A_LIST,
    RunSource.RECURRING,
    RunSource.TRIGGER,
)
#: the longest a workflow may run (its ``timeout``'s upper bound)
LONGEST_TIMEOUT = 3600


def api_key_create(
    *,
    user: Any,
    name: str,
    workflows: Sequence[str] = (),
    allow_data_api: bool = True,
    expiry_date: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``user``; the plain key is returned once and only its hash is stored.

    ``workflows`` limits the key to those workflows (empty: any); see docs/security.md.
    """
    return ApiKey.objects.create_key(
        user=user,
        name=name[:50] or "API key",
        allowed_workflows=sorted(set(workflows)),
        allow_data_api=allow_data_api,
        expiry_date=expiry_date,
    )


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key at once; revocation cannot be undone."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])


def runs_abandoned_close(*, now: datetime | None = None) -> int:
    """End the runs whose process stopped mid-run (a web worker killed by its server's
    timeout, a crash, a restart): still ``running`` longer than their workflow's timeout
    plus ``ABANDONED_RUN_GRACE``, they are failed with ``WORKER_LOST``, so every run ends
    in a final status. The scheduler's own runs are its reaper's. Returns how many.

    A run that was only slow, not lost, still writes its real end when it finishes."""
    now = now or timezone.now()
    grace = timedelta(seconds=conf.get("ABANDONED_RUN_GRACE"))
    candidates = (
        Run.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - grace)
        .exclude(source__in=SCHEDULER_SOURCES)
        .values_list(
            "pk", "started_at", "workflow__timeout", "workflow__commit", "workflow__error_workflow"
        )
    )
    closed = 0
    for pk, started_at, timeout, commit, error_workflow in candidates.iterator():
        if started_at + timedelta(seconds=timeout or LONGEST_TIMEOUT) + grace > now:
            continue  # may still be going
        kept = kept_when_lost(commit)
        with transaction.atomic():  # the end and what follows a final failure, together
            ended = Run.objects.filter(pk=pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                error_code="WORKER_LOST",
                error_message=(
                    "the process running it stopped before the run ended (killed, timed out "
                    f"by the web server, or restarted); {kept}"
                ),
                finished_at=now,
                duration_ms=(now - started_at).total_seconds() * 1000,
            )
            if ended:
                failures.failed_for_good(Run.objects.get(pk=pk), error_workflow or "", now=now)
        closed += ended
    return closed
