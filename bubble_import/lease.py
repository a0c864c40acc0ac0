"""One process at a time carries an import out. It claims the import's lease (its
``heartbeat``) with a guarded UPDATE and moves it at each page; a second process — the
same command run twice, the admin's *Continue* while a worker is at it — is refused while
the heartbeat is recent. A process killed without a word (``kill -9``, a lost machine)
leaves the lease free ``STALE`` after its last page; one stopped by Ctrl-C or an error
frees it at once."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from .models import BubbleImport

#: how long after its last page a silent process's import may be taken over
STALE = datetime.timedelta(minutes=5)


class ImportBusy(Exception):
    """Another process is carrying this import out."""


def claim(bubble_import: BubbleImport) -> None:
    now = timezone.now()
    free = Q(heartbeat__isnull=True) | Q(heartbeat__lt=now - STALE)
    running = BubbleImport.objects.filter(pk=bubble_import.pk, status=BubbleImport.Status.RUNNING)
    if running.filter(free).update(heartbeat=now):
        bubble_import.heartbeat = now
    else:
        last = running.values_list("heartbeat", flat=True).first()
        when = timezone.localtime(last).strftime("%H:%M:%S") if last else "?"
        raise ImportBusy(
            f"another process is carrying this import of {bubble_import.app} out (its last "
            f"page at {when}); if that process is gone, it can be continued "
            f"{int(STALE.total_seconds() // 60)} minutes after that"
        )


#: how often the heartbeat is written at most (every page, every file would be a write each)
BEAT_EVERY = datetime.timedelta(seconds=30)


def beat(bubble_import: BubbleImport) -> None:
    """Move the lease on: at most every ``BEAT_EVERY``, well within ``STALE``."""
    now = timezone.now()
    last = bubble_import.heartbeat
    if last is not None and now - BEAT_EVERY < last <= now:
        return
    BubbleImport.objects.filter(pk=bubble_import.pk).update(heartbeat=now)
    bubble_import.heartbeat = now


def release(bubble_import: BubbleImport) -> None:
    BubbleImport.objects.filter(pk=bubble_import.pk).update(heartbeat=None)
    bubble_import.heartbeat = None


def state(bubble_import: BubbleImport, now: datetime.datetime | None = None) -> str:
    """``carried out`` (a process is at it), ``waiting`` (just handed to a worker) or
    ``stopped`` (nobody is: it may be continued)."""
    now = now or timezone.now()
    if bubble_import.heartbeat is not None and bubble_import.heartbeat >= now - STALE:
        return "carried out"
    fresh = (bubble_import.queued_at or bubble_import.started_at) >= now - STALE
    if bubble_import.heartbeat is None and not bubble_import.error and fresh:
        return "waiting"
    return "stopped"
