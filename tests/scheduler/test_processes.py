"""Which scheduler processes are alive (scheduler/processes.py): heartbeats, PIDs on this
machine, holders without a registration. Clocks are passed in, never waited for."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from scheduler import processes
from scheduler.models import ScheduledRun, SchedulerProcess, Status

TIMEOUT = 30  # HEARTBEAT_TIMEOUT's default


@pytest.fixture(autouse=True)
def _no_registration(monkeypatch):
    monkeypatch.setattr(processes, "_current", None)


def _pid_that_does_not_exist() -> int:
    """One above the kernel's largest PID: never a process."""
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except OSError:
        return 2**22 + 1


def _process(*, machine: str | None = None, pid: int | None = None, beat_ago: float = 0):
    now = timezone.now()
    return SchedulerProcess.objects.create(
        host="somewhere",
        machine=processes.machine() if machine is None else machine,
        pid=os.getppid() if pid is None else pid,
        beat_at=now - datetime.timedelta(seconds=beat_ago),
    )


def test_registering_names_this_process_for_its_workers(db):
    process = processes.register()
    assert processes.current_id() == process.pk
    assert (process.pid, process.machine) == (os.getpid(), processes.machine())
    processes.unregister(process)
    assert processes.current_id() is None


def test_a_process_with_a_fresh_heartbeat_is_alive(db):
    _process(beat_ago=TIMEOUT - 1)
    _process(machine="elsewhere", pid=_pid_that_does_not_exist(), beat_ago=TIMEOUT - 1)
    assert processes.dead() == []


def test_a_heartbeat_older_than_the_timeout_is_dead(db):
    stale = _process(machine="elsewhere", beat_ago=TIMEOUT + 1)
    assert processes.dead() == [stale.pk]
    later = timezone.now() + datetime.timedelta(seconds=TIMEOUT + 1)
    fresh = _process(machine="elsewhere")
    assert set(processes.dead(later)) == {stale.pk, fresh.pk}


def test_a_pid_gone_from_this_machine_is_dead_at_once(db):
    gone = _process(pid=_pid_that_does_not_exist())
    assert processes.dead() == [gone.pk]


def test_this_process_s_pid_in_another_row_is_a_predecessor_that_had_it(db):
    """A container's run_scheduler is PID 1 every time: its predecessor's row has it too."""
    me = processes.register()
    predecessor = _process(pid=os.getpid())
    assert processes.dead(me=me.pk) == [predecessor.pk]


def test_a_process_never_finds_itself_dead(db):
    me = processes.register()
    later = timezone.now() + datetime.timedelta(seconds=TIMEOUT + 1)
    assert processes.dead(later, me=me.pk) == []


def test_runs_held_by_an_unregistered_process_count_as_held_by_a_dead_one(db, make_workflow):
    wf = make_workflow("tick", kind="api", actions=[{"type": "log", "message": "tick"}])
    alive, gone = _process(), _process()
    gone_id = gone.pk
    gone.delete()  # found dead earlier, yet it went on dispatching
    now = timezone.now()
    for holder, status in [(alive.pk, Status.QUEUED), (gone_id, Status.RUNNING)]:
        ScheduledRun.objects.create(workflow=wf, due_at=now, status=status, holder=holder)
    ScheduledRun.objects.create(workflow=wf, due_at=now, status=Status.SUCCEEDED, holder=None)
    assert processes.dead() == [gone_id]


def test_a_process_taken_for_dead_registers_again_at_its_next_heartbeat(db):
    me = processes.register()
    SchedulerProcess.objects.filter(pk=me.pk).delete()  # another scheduler took it for dead
    later = timezone.now() + datetime.timedelta(seconds=5)
    assert processes.beat(me, later) is False
    assert SchedulerProcess.objects.get(pk=me.pk).beat_at == later
    assert processes.beat(me) is True
