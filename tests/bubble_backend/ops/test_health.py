"""/healthz (the process answers, no database) and /readyz (the database answers, its
migrations are applied, django-q2's broker answers): 503 naming what failed."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder

from bubble_backend.ops import health


@pytest.fixture(autouse=True)
def _migrations_checked_afresh():
    health.forget_migrations()
    yield
    health.forget_migrations()


def database_gone():
    """Every new cursor fails as it does when PostgreSQL is down or the file is gone."""
    return mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("connection refused")
    )


def test_healthz_answers_without_the_database(client):
    """No ``db`` fixture: any query would fail the test."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_while_the_database_is_gone(client, db):
    with database_gone():
        assert client.get("/healthz").status_code == 200


def test_readyz_when_everything_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok"},
    }


def test_readyz_fails_when_the_database_is_gone(client, db, caplog):
    with database_gone():
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "failed: OperationalError"
    assert body["checks"]["migrations"] == "not checked"
    assert "connection refused" not in response.content.decode()  # the log has it
    assert "connection refused" in caplog.text


def test_readyz_fails_while_migrations_are_missing(client, db):
    MigrationRecorder.Migration.objects.filter(app="scheduler").order_by("-id").first().delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failed: 1 migration(s) not applied"
    assert response.json()["checks"]["database"] == "ok"


def test_migrations_found_applied_are_not_checked_again(client, db):
    assert client.get("/readyz").status_code == 200
    with mock.patch.object(health, "MigrationExecutor") as executor:
        assert client.get("/readyz").status_code == 200
    executor.assert_not_called()


def test_readyz_fails_when_the_broker_does_not_answer(client, db, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")  # nothing listens there
    health._redis.cache_clear()
    response = client.get("/readyz")
    health._redis.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_the_orm_broker_is_the_database(client, db, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", "default")
    with database_gone():
        response = client.get("/readyz")
    assert response.json()["checks"]["broker"] == "failed: OperationalError"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_by_address_over_http(client, db, settings, path):
    """A load balancer calls the server by its address, over plain http."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200
