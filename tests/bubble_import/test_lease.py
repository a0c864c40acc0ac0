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
