"""One process at a time carries an import out: a second is refused while the first's
heartbeat is recent, and may take over once it is stale (a killed process); the admin
tells running, waiting and stopped imports apart."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError
from django.utils import timezone

from bubble_import import lease
from bubble_import.models import BubbleImport

from .stand_in import running
from .test_import import bring_over


def test_a_second_process_is_refused_until_the_first_is_stale(db, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    bubble_import = BubbleImport.objects.create(app="https://app.example/api/1.1")
    lease.claim(bubble_import)
    with pytest.raises(lease.ImportBusy, match="another process"):
        lease.claim(bubble_import)
    time_machine.move_to(now + lease.STALE - datetime.timedelta(seconds=1), tick=False)
    with pytest.raises(lease.ImportBusy):
        lease.claim(bubble_import)
    time_machine.move_to(now + lease.STALE + datetime.timedelta(seconds=1), tick=False)
    lease.claim(bubble_import)  # the first was killed: taken over


def test_a_released_import_is_claimed_at_once(db):
    bubble_import = BubbleImport.objects.create(app="https://app.example/api/1.1")
    lease.claim(bubble_import)
    lease.release(bubble_import)
    lease.claim(bubble_import)


def test_the_command_refuses_an_import_another_process_carries_out(data_model, token):
    with running() as app:
        BubbleImport.objects.create(
            app=f"{app.address}/api/1.1",
            heartbeat=timezone.now(),
            plan={"source": "swagger"},
            options={"address": app.address},
        )
        with pytest.raises(CommandError, match="another process is carrying"):
            bring_over(app.address)


def test_the_states_the_admin_shows(db, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    fresh = BubbleImport.objects.create(app="a")
    assert lease.state(fresh) == "waiting"
    fresh.heartbeat = now
    assert lease.state(fresh) == "carried out"
    later = now + lease.STALE + datetime.timedelta(seconds=1)
    assert lease.state(fresh, later) == "stopped"
    fresh.heartbeat, fresh.error = None, "SourceError: HTTP 500"
    assert lease.state(fresh) == "stopped"


def test_an_old_import_handed_to_a_worker_again_waits_and_is_not_offered_twice(
    admin_client, monkeypatch, time_machine
):
    from bubble_import import tasks

    now = timezone.now()
    time_machine.move_to(now, tick=False)
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda task, pk, **kw: queued.append(pk))
    old = BubbleImport.objects.create(
        app="https://app.example/api/1.1",
        started_at=now - datetime.timedelta(days=2),
        error="SourceError: HTTP 500",
    )
    url = f"/admin/bubble_import/bubbleimport/{old.pk}/change/"
    admin_client.post(url, {"continue": "1"})
    old.refresh_from_db()
    assert lease.state(old) == "waiting"  # not "stopped", though it started two days ago
    admin_client.post(url, {"continue": "1"})  # a second click queues nothing
    assert queued == [old.pk]


def test_a_task_finding_another_process_at_the_import_stops_quietly(db, monkeypatch):
    from bubble_import import tasks

    bubble_import = BubbleImport.objects.create(
        app="https://app.example/api/1.1",
        options={"address": "https://app.example", "version_test": False},
        plan={"source": "swagger"},
        token=tasks.seal("t0ken-value", "https://app.example/api/1.1"),
    )
    lease.claim(bubble_import)  # a worker is at it
    monkeypatch.setattr(tasks, "guarded_app", lambda *a, **kw: _Closable())
    tasks.run_import(bubble_import.pk)  # the duplicate task: no exception, nothing done
    bubble_import.refresh_from_db()
    assert bubble_import.status == BubbleImport.Status.RUNNING and bubble_import.heartbeat


class _Closable:
    def close(self) -> None:
        pass


def test_the_heartbeat_is_written_at_most_every_half_minute(
    db, time_machine, django_assert_num_queries
):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    bubble_import = BubbleImport.objects.create(app="https://app.example/api/1.1")
    lease.claim(bubble_import)
    time_machine.move_to(now + datetime.timedelta(seconds=10), tick=False)
    with django_assert_num_queries(0):
        for _ in range(100):  # a page, or a file, each
            lease.beat(bubble_import)
    time_machine.move_to(now + lease.BEAT_EVERY + datetime.timedelta(seconds=1), tick=False)
    with django_assert_num_queries(1):
        lease.beat(bubble_import)
    stored = BubbleImport.objects.get(pk=bubble_import.pk).heartbeat
    assert stored == now + lease.BEAT_EVERY + datetime.timedelta(seconds=1)
