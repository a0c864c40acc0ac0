"""Throttling: per API key and per client address, 429 with Retry-After, off with 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

from bubble_backend.settings import _cache_url
from workflows.checks import check_throttle_rates
from workflows.models import Run
from workflows.services import api_key_create

ROOT = Path(__file__).resolve().parents[3]
HELLO = [{"type": "return_data", "data": {"ok": True}}]


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # the counters live in the default cache
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    def set_rates(*, key: str = "", address: str = "", proxies: int = 0) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"key": key, "address": address},
            "NUM_PROXIES": proxies,
        }

    return set_rates


@pytest.fixture
def hello(make_workflow):
    return make_workflow("hello", expose=True, auth="none", actions=HELLO)


def throttled(response) -> bool:
    if response.status_code != 429:
        return False
    body = response.json()
    assert body["status"] == "error" and body["code"] == "TOO_MANY_REQUESTS", body
    assert 1 <= int(response["Retry-After"]) <= 61
    return True


def test_every_api_view_is_throttled_by_default():
    assert api_settings.DEFAULT_THROTTLE_CLASSES and [
        cls.__name__ for cls in api_settings.DEFAULT_THROTTLE_CLASSES
    ] == ["KeyRateThrottle", "AddressRateThrottle"]
    assert api_settings.DEFAULT_THROTTLE_RATES == {"key": "600/min", "address": "300/min"}


def test_per_key(call, rates, hello, user, other_user):
    rates(key="3/min", address="1/min")
    _, key = api_key_create(user=user, name="a")
    _, second = api_key_create(user=user, name="b")
    for _ in range(3):
        assert call("hello", key=key).status_code == 200
    assert throttled(call("hello", key=key))
    assert Run.objects.count() == 3  # the refused call ran nothing
    # another key of the same user has its own budget; so has an anonymous caller
    assert call("hello", key=second).status_code == 200
    assert call("hello").status_code == 200


def test_per_address(api, rates, hello, user):
    rates(address="2/min", key="100/min")
    for _ in range(2):
        assert api.post("/api/1.1/wf/hello", REMOTE_ADDR="203.0.113.1").status_code == 200
    assert throttled(api.post("/api/1.1/wf/hello", REMOTE_ADDR="203.0.113.1"))
    assert api.post("/api/1.1/wf/hello", REMOTE_ADDR="203.0.113.2").status_code == 200
    # a keyed caller at the same address counts against its key, not the address
    _, key = api_key_create(user=user, name="a")
    response = api.post(
        "/api/1.1/wf/hello", REMOTE_ADDR="203.0.113.1", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200


def test_a_forged_forwarded_for_does_not_reset_the_budget_without_proxies(api, rates, hello):
    rates(address="1/min")
    assert api.post("/api/1.1/wf/hello", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert throttled(api.post("/api/1.1/wf/hello", HTTP_X_FORWARDED_FOR="198.51.100.2"))


def test_behind_a_proxy_the_forwarded_address_counts(api, rates, hello):
    rates(address="1/min", proxies=1)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = api.post("/api/1.1/wf/hello", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert first.status_code == 200
    again = api.post("/api/1.1/wf/hello", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert throttled(again)
    other = api.post("/api/1.1/wf/hello", HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 200


def test_runs_scheduler_and_unknown_paths_are_throttled_too(api, rates, user):
    rates(key="2/min", address="2/min")
    _, key = api_key_create(user=user, name="a")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert api.get("/api/1.1/scheduled", **auth).status_code == 200
    assert api.get("/api/1.1/runs/00000000-0000-0000-0000-000000000000", **auth).status_code == 404
    assert throttled(api.get("/api/1.1/scheduled", **auth))
    assert throttled(api.post("/api/1.1/wf/x/schedule", {}, format="json", **auth))
    for _ in range(2):
        assert api.get("/api/1.1/nothing").status_code == 404
    assert throttled(api.get("/api/1.1/nothing"))


@pytest.mark.parametrize("off", ["0", "", "off", "0/min"])
def test_a_rate_of_zero_turns_throttling_off(call, rates, hello, user, off):
    rates(key=off, address=off)
    _, key = api_key_create(user=user, name="a")
    for _ in range(30):
        assert call("hello").status_code == 200
        assert call("hello", key=key).status_code == 200


def test_a_malformed_rate_is_a_system_check_error(rates):
    rates(key="fast", address="10/min")
    errors = check_throttle_rates(None)
    assert [e.id for e in errors] == ["workflows.E010"] and "'fast'" in errors[0].msg
    rates(key="10/min", address="5/hour")
    assert check_throttle_rates(None) == []


@pytest.mark.parametrize(
    ("broker", "cache_db"),
    [
        ("redis://127.0.0.1:6379/0", "1"),
        ("redis://127.0.0.1:6379/15", "14"),
        ("redis://127.0.0.1:6379", "1"),
        ("rediss://u:p@redis.example:6380/3?ssl_cert_reqs=none", "2"),
        ("redis://127.0.0.1:6379/4?db=7", "6"),
    ],
)
def test_the_cache_uses_another_redis_database_than_the_broker(broker, cache_db):
    url, original = urlsplit(_cache_url(broker)), urlsplit(broker)
    assert (url.scheme, url.netloc) == (original.scheme, original.netloc)
    assert parse_qs(url.query)["db"] == [cache_db]


def test_with_redis_url_the_default_cache_is_redis():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    )
    out = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "bubble_backend.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/15?db=14",
    ]
