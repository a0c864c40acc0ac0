"""Shared fixtures: users, API keys, an API client, example things, workflow factories."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.utils import timezone
from rest_framework.test import APIClient

from examples.models import Customer, Order
from scheduler import triggers
from scheduler.dispatch import dispatch_due
from scheduler.execution import execute_scheduled_run
from workflows import data_types, masking
from workflows.definitions import save_definition
from workflows.engine import cache
from workflows.engine.compiler import compile_definition
from workflows.models import PrivacyRule, Workflow
from workflows.privacy import rules as privacy_rules
from workflows.services import api_key_create
from workflows.versions import serving as versions_serving


def pytest_configure(config) -> None:
    """Hash test users' passwords cheaply: Django's default (PBKDF2, a million rounds)
    costs most of a second per user and is not what any test is about."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _open_data_types(request):
    """Privacy rules deny by default. Tests that are not about privacy run against data
    types opened to everybody by an everyone-else rule (as a permissive app would be set
    up), so the privacy code path still runs; tests marked ``privacy`` start with none."""
    if request.node.get_closest_marker("privacy"):
        return
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    else:
        return
    PrivacyRule.objects.bulk_create(
        PrivacyRule(
            data_type=label,
            everyone_else=True,
            view_all=True,
            find_in_searches=True,
            create_via_api=True,
            modify_via_api=True,
            delete_via_api=True,
        )
        for label in data_types.allowed_labels()
    )


@pytest.fixture(autouse=True)
def _data_model_left_built(request):
    """Tests that change the data model (the ``data_model`` fixture of
    tests/workflows/data_model/conftest.py) end by forgetting this process's models. Build
    them again, of no data type, while the database is still there: tests without one,
    which pytest-django runs last, read data types (the admin's checks, expressions) as a
    started process does, without a query."""
    if "data_model" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")  # torn down after this: still usable
    yield
    from workflows.data_model import registry
    from workflows.models.data_model import DataField, DataType, OptionSet

    DataField.objects.all().delete()  # their tables are dropped already
    DataType.objects.all().delete()
    OptionSet.objects.all().delete()
    registry.rebuild()


@pytest.fixture(autouse=True)
def _no_search_index_thread(monkeypatch):
    """The dispatcher keeps SQLite's index of the runs' text in a thread of its own: in a
    test the runs are in the test's transaction, which another thread's connection cannot
    see, so tests that run the dispatcher do without it (tests/workflows/
    test_run_text_index.py turns it on)."""
    from scheduler import conf

    monkeypatch.setitem(conf.DEFAULTS, "SEARCH_INDEX_INTERVAL", 0)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Compiled workflows and deployed versions, data types, trigger workflows watched,
    secrets known for masking, and Django's cache (throttle counters, counts by status)."""
    cache.clear()
    django_cache.clear()
    data_types.clear_cache()
    triggers.forget_watched()
    masking.clear()
    privacy_rules.clear_cache()
    versions_serving.clear()
    yield
    cache.clear()
    versions_serving.clear()
    django_cache.clear()
    data_types.clear_cache()
    masking.clear()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw-bob-123")


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        "staff", "staff@example.com", "pw-staff-123", is_staff=True
    )


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def make_key(db) -> Callable[..., str]:
    def make(user, name: str = "test") -> str:
        return api_key_create(user=user, name=name)[1]

    return make


@pytest.fixture
def key(user, make_key) -> str:
    return make_key(user)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def call(api) -> Callable[..., Any]:
    """POST (or GET) /api/1.1/wf/<name> with an optional key; returns the response."""

    def do(
        name: str,
        data: Any = None,
        *,
        key: str | None = None,
        method: str = "post",
        fmt: str = "json",
        **extra,
    ):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        url = f"/api/1.1/wf/{name}"
        if method == "get":
            return api.get(url, data or {}, **headers, **extra)
        return api.post(url, data if data is not None else {}, format=fmt, **headers, **extra)

    return do


@pytest.fixture
def make_workflow(db) -> Callable[..., Workflow]:
    """Create a workflow from a definition (docs/workflow-format.md), validated like an import."""

    def make(name: str = "wf", **definition: Any) -> Workflow:
        definition = {"name": name, **definition}
        compile_definition(definition)
        return save_definition(definition)[0]

    return make


@pytest.fixture
def customer(db, user) -> Customer:
    return Customer.objects.create(name="Ann", email="ann@example.com", user=user)


@pytest.fixture
def order(customer) -> Order:
    return Order.objects.create(customer=customer, total=Decimal("12.50"))


# --- the scheduler: run what is due without a django-q2 cluster, at any moment ------------


@pytest.fixture
def drain(db) -> Callable[..., list[str]]:
    """Dispatch every run due at ``now`` (default: the present) and execute it in-process.

    Returns each execution's outcome; repeats while runs keep coming due (retries due now,
    runs scheduled by runs), up to ``rounds`` times.
    """

    def do(now: datetime.datetime | None = None, rounds: int = 20) -> list[str]:
        outcomes: list[str] = []
        for _ in range(rounds):
            result = dispatch_due(now or timezone.now(), enqueue=False)
            if not result.queued:
                break
            outcomes.extend(execute_scheduled_run(pk, now) for pk in result.queued)
        return outcomes

    return do


@pytest.fixture
def frozen_now(time_machine) -> datetime.datetime:
    """The clock stopped at the present moment (``time.time``, ``datetime.now``,
    ``timezone.now``; not ``time.monotonic``): times taken apart in a test compare exactly,
    however long the test takes on a busy machine."""
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    return now


@pytest.fixture
def later() -> Callable[..., datetime.datetime]:
    def at(**delta: float) -> datetime.datetime:
        return timezone.now() + datetime.timedelta(**delta)

    return at
