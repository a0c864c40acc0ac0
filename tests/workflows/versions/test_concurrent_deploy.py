"""Callers during a deploy get the old version or the new one, never a mix (PostgreSQL:
concurrent requests on their own connections while another deploys)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from workflows.definitions import save_definition
from workflows.versions.deploy import deploy

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL"
)
CALLERS = 4
CALLS = 25


def backend(word: str) -> None:
    """An API workflow whose answer comes from its own step and from a custom event: a run
    mixing two versions would answer two different words."""
    save_definition(
        {
            "name": "inner",
            "kind": "custom_event",
            "actions": [{"type": "return_data", "data": {"w": word}}],
        }
    )
    save_definition(
        {
            "name": "greet",
            "expose": True,
            "auth": "none",
            "actions": [
                {"type": "trigger_custom_event", "workflow": "inner", "id": "inner"},
                {
                    "type": "return_data",
                    "data": {"own": word, "event": "{{ steps.inner.w }}"},
                },
            ],
        }
    )


@pytest.mark.django_db(transaction=True)
def test_a_caller_during_a_deploy_gets_one_version_or_the_other():
    backend("old")
    deploy(message="old")
    backend("new")  # development now answers "new"
    answers: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    started = threading.Barrier(CALLERS + 1)

    def call() -> None:
        try:
            client = Client()
            started.wait()
            for _ in range(CALLS):
                body = client.post("/api/1.1/wf/greet", {}, content_type="application/json")
                response = body.json()["response"]
                answers.append((response["own"], response["event"]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    started.wait()
    deploy(message="new")
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == CALLERS * CALLS
    assert set(answers) <= {("old", "old"), ("new", "new")}
