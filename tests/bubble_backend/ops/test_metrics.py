"""/metrics (bubble_backend/ops/): off until configured, then only for the configured token
and networks; Prometheus' text format; the scheduler's liveness numbers move with its
heartbeats and its backlog; one failing collector costs only its own numbers."""

from __future__ import annotations

import datetime
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bubble_backend.ops import metrics
from scheduler import processes
from scheduler.models import Pause, SchedulerProcess

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def token(settings):
    settings.BUBBLE_METRICS_TOKEN = TOKEN
    settings.BUBBLE_METRICS_ALLOWED_NETWORKS = []
    return TOKEN


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """``{(name, ((label, value), ...)): value}`` of every sample."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


# --- who may read it ----------------------------------------------------------------------


def test_metrics_are_off_by_default(client, settings, db):
    settings.BUBBLE_METRICS_TOKEN = ""
    settings.BUBBLE_METRICS_ALLOWED_NETWORKS = []
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"bearer{TOKEN}"],
)
def test_without_the_token_it_is_forbidden(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 403
    assert b"process_" not in response.content


def test_with_the_token_it_answers_prometheus_text(client, token, db):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    found = samples(response.content.decode())
    assert ("bubble_scheduler_processes", (("state", "alive"),)) in found
    assert any(name == "process_resident_memory_bytes" for name, _ in found)


def test_openmetrics_when_the_scraper_asks_for_it(client, token, db):
    response = client.get(
        "/metrics",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        HTTP_ACCEPT="application/openmetrics-text; version=1.0.0",
    )
    assert response["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert response.content.endswith(b"# EOF\n")


def test_no_host_check_and_no_https_redirect(client, token, settings, db):
    """Prometheus scrapes by address over the internal network."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="10.1.2.3:8000"
    )
    assert response.status_code == 200


def test_only_get(client, token):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


@pytest.fixture
def networks(settings):
    settings.BUBBLE_METRICS_TOKEN = ""
    settings.BUBBLE_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "fd00::/8"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}


@pytest.mark.parametrize("address", ["10.20.30.40", "fd00::1", "::ffff:10.0.0.9"])
def test_an_allowed_network_reads_without_a_token(client, networks, db, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize("address", ["192.168.1.1", "127.0.0.1", "2001:db8::1", "bogus"])
def test_other_networks_are_forbidden(client, networks, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 403


def test_x_forwarded_for_is_not_believed_without_proxies(client, networks):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 403


def test_behind_a_proxy_the_address_it_saw_counts(client, networks, settings, db):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    # the proxy appends the address it saw; what the client wrote before it is not believed
    allowed = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.1", **proxy)
    forged = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.5", **proxy)
    assert (allowed.status_code, forged.status_code) == (200, 403)


def test_a_forwarded_header_shorter_than_the_proxies_is_refused(client, networks, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 403


def test_with_both_set_both_are_needed(client, settings, db):
    settings.BUBBLE_METRICS_TOKEN = TOKEN
    settings.BUBBLE_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.1", **bearer).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", **bearer).status_code == 403


# --- what it says --------------------------------------------------------------------------


def _process(now: datetime.datetime, beat_ago: float, host: str = "web-1") -> SchedulerProcess:
    return SchedulerProcess.objects.create(
        host=host,
        machine="elsewhere",
        pid=os.getpid(),
        started_at=now - datetime.timedelta(hours=1),
        beat_at=now - datetime.timedelta(seconds=beat_ago),
    )


def test_scheduler_liveness_moves_with_the_heartbeats(client, token, db, frozen_now):
    fresh = _process(frozen_now, beat_ago=4)
    stale = _process(frozen_now, beat_ago=45, host="worker-2")
    found = scrape(client)
    assert found[("bubble_scheduler_processes", (("state", "alive"),))] == 1
    assert found[("bubble_scheduler_processes", (("state", "stale"),))] == 1
    labels = (("host", "worker-2"), ("pid", str(os.getpid())), ("process", str(stale.pk)))
    assert found[("bubble_scheduler_heartbeat_age_seconds", labels)] == 45
    assert found[("bubble_scheduler_heartbeat_timeout_seconds", ())] == 30

    processes.beat(stale, frozen_now)  # it woke up
    found = scrape(client)
    assert found[("bubble_scheduler_processes", (("state", "alive"),))] == 2
    assert found[("bubble_scheduler_processes", (("state", "stale"),))] == 0

    fresh.delete()
    stale.delete()  # found dead and forgotten: nothing left to run the runs
    found = scrape(client)
    assert found[("bubble_scheduler_processes", (("state", "alive"),))] == 0


def test_the_oldest_due_run_shows_a_dispatcher_that_stopped(
    client, token, frozen_now, time_machine, make_workflow, drain
):
    from scheduler import services

    workflow = make_workflow("nightly", kind="api", expose=False, actions=[])
    services.schedule(workflow, at=frozen_now)
    services.schedule(workflow, at=frozen_now + datetime.timedelta(hours=1))  # not due
    assert scrape(client)[("bubble_scheduler_oldest_due_age_seconds", ())] == 0
    now = frozen_now + datetime.timedelta(seconds=90)
    time_machine.move_to(now, tick=False)  # 90 s without a dispatcher
    assert scrape(client)[("bubble_scheduler_oldest_due_age_seconds", ())] == 90

    drain(now)  # a dispatcher took it
    assert scrape(client)[("bubble_scheduler_oldest_due_age_seconds", ())] == 0


def test_pauses_are_shown(client, token, make_workflow, db):
    assert scrape(client)[("bubble_scheduler_paused", ())] == 0
    Pause.objects.create(key=Pause.key_for(None))
    workflow = make_workflow("paused-one", kind="api", expose=False, actions=[])
    Pause.objects.create(key=Pause.key_for(workflow), workflow=workflow)
    found = scrape(client)
    assert found[("bubble_scheduler_paused", ())] == 1
    assert found[("bubble_scheduler_paused_workflows", ())] == 1


def test_the_build_is_named(client, token, db):
    found = scrape(client)
    assert [labels for name, labels in found if name == "bubble_build_info"]


# --- the collectors' list -------------------------------------------------------------------


class Broken:
    def collect(self):
        raise RuntimeError("its query timed out")


class Numbers:
    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("bubble_test_answer", "A number.", value=42)


def test_a_collector_added_to_the_list_is_scraped(client, token, db, monkeypatch):
    monkeypatch.setattr(metrics, "COLLECTORS", [*metrics.COLLECTORS, f"{__name__}.Numbers"])
    found = scrape(client)
    assert found[("bubble_test_answer", ())] == 42
    assert found[("bubble_metrics_collector_up", (("collector", f"{__name__}.Numbers"),))] == 1


def test_a_failing_collector_costs_only_its_own_numbers(client, token, db, monkeypatch):
    paths = [f"{__name__}.Broken", "bubble_backend.ops.collectors.SchedulerCollector"]
    monkeypatch.setattr(metrics, "COLLECTORS", paths)
    found = scrape(client)
    assert found[("bubble_metrics_collector_up", (("collector", paths[0]),))] == 0
    assert found[("bubble_metrics_collector_up", (("collector", paths[1]),))] == 1
    assert ("bubble_scheduler_paused", ()) in found


def test_a_metric_given_twice_is_kept_once(db):
    collected = metrics.collect([f"{__name__}.Numbers", f"{__name__}.Numbers"])
    assert [m.name for m in collected] == ["bubble_test_answer", "bubble_metrics_collector_up"]
