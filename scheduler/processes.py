"""Which ``run_scheduler`` processes are alive, by a heartbeat row each.

A ``run_scheduler`` with its own cluster registers a ``SchedulerProcess``, dispatches into
its own queue and marks what it dispatched as held by it (``ScheduledRun.holder``); its
workers mark what they claim the same way. It writes its heartbeat every ``REAP_INTERVAL``.
Another scheduler — or the one started in its place — finds it dead when:

* its heartbeat is older than ``HEARTBEAT_TIMEOUT``, or
* it ran on this machine (same host name, boot and PID namespace) and its PID is gone,
  which a restart after ``kill -9`` sees at once;

and then takes back everything it held (``dispatch.take_back``). Runs held by a process
id that has no row any more (it was found dead, yet kept dispatching) count as held by a
dead process too. Taking a live but stalled process for dead is safe, only wasteful: the
guarded claim lets one delivery of a run start it and skips the others, and its
"succeeded" is fenced by the attempt number (scheduler/execution.py). A process that finds
its own row gone registers again.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import uuid
from functools import cache
from pathlib import Path

from django.utils import timezone

from . import conf
from .models import ScheduledRun, SchedulerProcess, Status

logger = logging.getLogger("scheduler.processes")

#: the registered process of this interpreter, inherited by the cluster's forked workers,
#: whose claims then name it as the run's holder
_current: uuid.UUID | None = None


def current_id() -> uuid.UUID | None:
    """The ``SchedulerProcess`` this process (or the one that forked it) registered."""
    return _current


@cache
def machine() -> str:
    """Where a PID means the same process: host name, boot id and PID namespace. Two
    containers sharing a host name must not take each other's PIDs for their own."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        pass  # not Linux: the host name alone
    return " ".join(parts)[:255]


def register(now: datetime.datetime | None = None) -> SchedulerProcess:
    """Record this process as a live scheduler; its id names its queue and its runs."""
    global _current
    now = now or timezone.now()
    row = SchedulerProcess.objects.create(
        host=socket.gethostname()[:255],
        machine=machine(),
        pid=os.getpid(),
        started_at=now,
        beat_at=now,
    )
    _current = row.pk
    return row


def unregister(process: SchedulerProcess) -> None:
    """Forget this process's registration in this interpreter (its row goes with
    ``dispatch.take_back``)."""
    global _current
    if _current == process.pk:
        _current = None


def beat(process: SchedulerProcess, now: datetime.datetime | None = None) -> bool:
    """Write ``process``'s heartbeat; False if its row was gone (another scheduler took it
    for dead and took back its runs), in which case it is registered again."""
    now = now or timezone.now()
    if SchedulerProcess.objects.filter(pk=process.pk).update(beat_at=now):
        return True
    logger.warning(
        "this scheduler was taken for dead (no heartbeat for %s s); the runs it held were "
        "handed to others; registering again",
        conf.get("HEARTBEAT_TIMEOUT"),
    )
    process.beat_at = now
    process.save(force_insert=True)
    return False


def dead(now: datetime.datetime | None = None, *, me: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Ids of scheduler processes that are gone but may still hold runs: registered ones
    found dead, and holders of queued or running runs that are not registered."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=conf.get("HEARTBEAT_TIMEOUT"))
    here = machine()
    registered = list(SchedulerProcess.objects.values_list("pk", "machine", "pid", "beat_at"))
    gone = [
        pk
        for pk, where, pid, beat_at in registered
        if pk != me and (beat_at < stale or (where == here and not _alive(pid)))
    ]
    known = {pk for pk, *_ in registered}
    holders = (
        ScheduledRun.objects.filter(status__in=(Status.QUEUED, Status.RUNNING))
        .exclude(holder=None)
        .values_list("holder", flat=True)
        .distinct()
    )
    return gone + [pk for pk in holders if pk not in known and pk != me]


def forget(ids: list[uuid.UUID]) -> None:
    SchedulerProcess.objects.filter(pk__in=ids).delete()


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process here other than this one (this process's own
    PID in another process's row: a predecessor that had it, e.g. PID 1 of a container)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process
    try:  # a zombie (dead, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True
