"""The scheduler's figures of /metrics move with the scheduled runs."""

from __future__ import annotations

import datetime

import pytest
from prometheus_client import CollectorRegistry

from scheduler.metrics import SchedulerCollector
from scheduler.models import ScheduledRun, Status

from .test_dashboard import NOW, ago, scheduled


@pytest.fixture
def scrape(db, time_machine):
    time_machine.move_to(NOW, tick=False)
    registry = CollectorRegistry()
    registry.register(SchedulerCollector())
    return lambda name, **labels: registry.get_sample_value(name, labels)


@pytest.fixture
def wf(make_workflow):
    return make_workflow("nightly", actions=[{"type": "log", "message": "hi"}])


def test_registering_reads_nothing(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        CollectorRegistry().register(SchedulerCollector())


def test_the_figures_move_with_the_scheduled_runs(scrape, wf):
    assert scrape("bubble_scheduler_queue_depth") == 0
    assert scrape("bubble_scheduler_lateness_seconds", quantile="0.95") is None
    waiting = scheduled(wf, ago(minutes=5))
    scheduled(wf, ago(minutes=1), Status.QUEUED)
    scheduled(wf, NOW + datetime.timedelta(minutes=30))
    scheduled(wf, NOW + datetime.timedelta(hours=3))
    scheduled(wf, ago(minutes=20), Status.SUCCEEDED, late_s=0.5)
    scheduled(wf, ago(minutes=25), Status.FAILED, late_s=3)
    scheduled(wf, ago(hours=3), Status.MISSED)
    scheduled(wf, ago(days=3), Status.MISSED)  # more than 24 hours ago
    assert scrape("bubble_scheduler_queue_depth") == 2
    assert scrape("bubble_scheduler_due_next_hour") == 1
    assert scrape("bubble_scheduled_runs", status="scheduled") == 3
    assert scrape("bubble_scheduled_runs", status="queued") == 1
    assert scrape("bubble_scheduled_runs_last_24h", status="missed") == 1
    assert scrape("bubble_scheduled_runs_last_24h", status="succeeded") == 1
    assert scrape("bubble_scheduler_lateness_seconds", quantile="0.95") == 3
    assert scrape("bubble_scheduler_lateness_seconds", quantile="0.5") == 0.5
    ScheduledRun.objects.filter(pk=waiting.pk).update(status=Status.QUEUED)
    assert scrape("bubble_scheduler_queue_depth") == 2
    assert scrape("bubble_scheduled_runs", status="queued") == 2
