"""The scheduler's panel of the runs dashboard and its figures (scheduler/figures.py): what
is paused, waiting and due, how late runs start; every count bounded."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from scheduler import figures
from scheduler.models import Pause, ScheduledRun, Status

NOW = datetime.datetime(2026, 3, 2, 12, 20, tzinfo=datetime.timezone.utc)


def ago(**delta: float) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def wf(make_workflow):
    return make_workflow("nightly", actions=[{"type": "log", "message": "hi"}])


def scheduled(workflow, due_at, status=Status.SCHEDULED, late_s: float | None = None):
    started = due_at + datetime.timedelta(seconds=late_s) if late_s is not None else None
    return ScheduledRun.objects.create(
        workflow=workflow, due_at=due_at, status=status, started_at=started
    )


def panel_html(client: Client) -> str:
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard-scheduler"' in html
    return html.split('id="dashboard-scheduler"')[1].split("</section>")[0]


def test_lateness_is_read_from_the_latest_started_runs(wf, now):
    for i in range(19):
        scheduled(wf, ago(minutes=i + 1), Status.SUCCEEDED, late_s=0.1)
    scheduled(wf, ago(minutes=30), Status.FAILED, late_s=9.0)
    scheduled(wf, ago(minutes=31), Status.CANCELLED)  # never started
    scheduled(wf, ago(days=2), Status.SUCCEEDED, late_s=500)  # before the window
    late = figures.lateness(ago(hours=1), NOW)
    assert (late.p50, late.p95, late.max, late.sampled) == (0.1, 0.1, 9.0, 20)
    assert figures.lateness(ago(hours=1), NOW, sample=5).sampled == 5  # the latest five
    assert figures.lateness(ago(hours=1), NOW, sample=5).max == 0.1
    assert figures.lateness(ago(minutes=1) + datetime.timedelta(seconds=1), NOW) is None


def test_waiting_due_and_pending_counts(wf, now):
    scheduled(wf, ago(minutes=5))  # due, waiting
    scheduled(wf, ago(minutes=1), Status.QUEUED)
    for minutes in (10, 20, 50, 70):
        scheduled(wf, NOW + datetime.timedelta(minutes=minutes))
    assert figures.waiting(NOW) == 1
    assert figures.pending_counts() == {"scheduled": 5, "queued": 1, "running": 0}
    due = figures.due_between(NOW, NOW + datetime.timedelta(hours=1), cap=2)
    assert (due.count, due.capped, due.workflows) == (2, True, [("nightly", 2)])
    assert figures.due_count(NOW, NOW + datetime.timedelta(hours=1)) == 3


def test_the_panel_says_what_is_paused_waiting_and_due(root_client, wf, now, superuser):
    scheduled(wf, ago(minutes=5))
    scheduled(wf, NOW + datetime.timedelta(minutes=10))
    scheduled(wf, ago(minutes=40), Status.SUCCEEDED, late_s=2.0)
    scheduled(wf, ago(hours=2), Status.MISSED)
    html = panel_html(root_client)
    assert "nothing is paused" in html
    assert "Due in the next hour" in html and "nightly (1)" in html
    assert "2 s / 2 s" in html  # lateness p50 / p95
    Pause.objects.create(key=Pause.key_for(None), paused_by=superuser)
    Pause.objects.create(key=Pause.key_for(wf), workflow=wf)
    html = panel_html(root_client)
    assert "The scheduler is paused" in html and f"by {superuser}" in html
    assert "Paused workflow:" in html and "nightly" in html


def test_the_panel_needs_the_permission_to_view_scheduled_runs(staff_user, now, wf):
    staff_user.user_permissions.add(
        Permission.objects.get(codename="view_run"),
        Permission.objects.get(codename="view_scheduledrun"),
    )
    client = Client()
    client.force_login(staff_user)
    assert "nothing is paused" in panel_html(client)


def test_the_panels_counts_stop_at_the_cap(root_client, wf, now, monkeypatch):
    from scheduler import dashboard

    monkeypatch.setattr(dashboard, "CAP", 3)
    for minutes in range(1, 6):
        scheduled(wf, ago(minutes=minutes))
        scheduled(wf, NOW + datetime.timedelta(minutes=minutes))
    html = panel_html(root_client)
    assert "<dd>3+</dd>" in html  # waiting
    assert html.count("3+") == 2  # and due in the next hour
