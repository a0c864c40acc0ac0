"""A data model change reaches a running web server without a restart: ``manage.py serve``
(gunicorn with two workers, and the scheduler) is started first, serving a ``Lead`` type;
this test process then adds a field through ``schema.add_field`` (committed), and the
server's very next requests use it — the Data API writes and reads it, its OpenAPI
document shows it, an API workflow saved afterwards writes it
(docs/data-types.md#how-a-change-is-made).

This process and the server share one fresh database of the suite's kind (a SQLite file,
or a new PostgreSQL database when the suite runs on PostgreSQL): for the test, this
process's default connection is pointed at it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.utils import load_backend

from tests.e2e.scheduler_processes import START_TIMEOUT, manage, wait_until
from tests.e2e.test_serve import free_port
from tests.workflows.data_model.conftest import LEAD, STAGE

ROOT = Path(__file__).resolve().parents[2]


def _forget_what_this_process_read() -> None:
    """Caches of rows read from the database this process used until now (ids mean other
    rows in the other database)."""
    from workflows import data_types
    from workflows.data_model import registry
    from workflows.engine import cache
    from workflows.privacy import rules

    ContentType.objects.clear_cache()
    cache.clear()
    rules.clear_cache()
    data_types.clear_cache()
    registry.forget()


@pytest.fixture
def shared_database(tmp_path, transactional_db) -> Iterator[dict[str, str]]:
    """A fresh, migrated database, used by this process (its default connection) and by
    the processes started with the environment it yields."""
    original = connections["default"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        BUBBLE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="bubble_backend.settings",
        LOG_LEVEL="WARNING",
        WEB_WORKERS="2",
    )
    created_pg = ""
    if original.vendor == "postgresql":
        import psycopg

        base = os.environ["DATABASE_URL"].rpartition("/")[0]
        created_pg = f"bubble_live_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{created_pg}"')
        env["DATABASE_URL"] = f"{base}/{created_pg}"
        name = created_pg
    else:
        name = str(tmp_path / "db.sqlite3")
    manage(env, "migrate", "--noinput")
    backend = load_backend(original.settings_dict["ENGINE"])
    shared = backend.DatabaseWrapper({**original.settings_dict, "NAME": name}, "default")
    connections["default"] = shared
    _forget_what_this_process_read()
    try:
        yield env
    finally:
        shared.close()
        connections["default"] = original
        _forget_what_this_process_read()
        from workflows.data_model import registry

        registry.rebuild()  # of the suite's database again (tests without one read it)
        if created_pg:
            import psycopg

            base = os.environ["DATABASE_URL"].rpartition("/")[0]
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{created_pg}" WITH (FORCE)')


class Server:
    """``manage.py serve`` in its own process group, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "manage.py", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def up(self) -> bool:
        assert self.process.poll() is None, self.output()
        try:
            return httpx.get(f"{self.base}/admin/login/", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def test_a_field_added_while_the_server_runs_is_used_at_once(shared_database, tmp_path):
    from django.contrib.auth import get_user_model

    from workflows.data_model import schema
    from workflows.definitions import save_definition
    from workflows.engine.compiler import compile_definition
    from workflows.models import DataType
    from workflows.services import api_key_create

    # before the server starts: the Lead type and a key of a superuser (no privacy rule)
    schema.save_option_set(STAGE)
    schema.create_data_type(LEAD)
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    headers = {"Authorization": f"Bearer {api_key_create(user=admin, name='live')[1]}"}

    server = Server(shared_database, tmp_path / "serve.log")
    try:
        assert wait_until(server.up, START_TIMEOUT), server.output()
        api = httpx.Client(base_url=server.base, headers=headers, timeout=30)
        # the server's workers know Lead, without a budget: refused, naming the field
        for _ in range(4):  # several requests: each worker has built its models
            early = api.post("/api/1.1/obj/lead", json={"email": "a@example.com", "budget": 5})
            assert early.status_code == 400, early.text
            assert early.json()["parameter"] == "budget"
        document = api.get("/api/schema/?format=json").json()
        assert "budget" not in document["components"]["schemas"]["Lead"]["properties"]

        # this process adds the field; its change is committed when add_field returns
        lead = DataType.objects.get(name="Lead")
        schema.add_field(lead, {"name": "budget", "type": "number", "indexed": True})

        made = []
        for i in range(4):  # whichever worker answers: no restart, no waiting
            answer = api.post(
                "/api/1.1/obj/lead",
                json={"email": f"lead{i}@example.com", "budget": 1000 + i, "stage": "Won"},
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
        got = api.get(f"/api/1.1/obj/lead/{made[0]}").json()["response"]
        assert got["budget"] == 1000 and got["stage"] == "Won"
        found = api.get(
            "/api/1.1/obj/lead",
            params={
                "constraints": '[{"key": "budget", "constraint_type": "greater than", '
                '"value": 1001}]',
                "sort_field": "budget",
            },
        ).json()["response"]["results"]
        assert [r["budget"] for r in found] == [1002, 1003]
        document = api.get("/api/schema/?format=json").json()
        assert document["components"]["schemas"]["Lead"]["properties"]["budget"] == {
            "type": "number",
            "nullable": True,
        }

        # an API workflow saved now writes the new field in the server's process
        definition = {
            "name": "raise-budget",
            "expose": True,
            "parameters": [
                {"key": "lead", "type": "thing", "data_type": "Lead"},
                {"key": "by", "type": "number"},
            ],
            "actions": [
                {
                    "id": "changed",
                    "type": "make_changes",
                    "thing": "{{ params.lead }}",
                    "changes": {"budget": "{{ params.lead.budget + params.by }}", "stage": "Lost"},
                },
                {
                    "type": "return_data",
                    "data": {
                        "budget": "{{ steps.changed.budget }}",
                        "stage": "{{ steps.changed.stage }}",
                    },
                },
            ],
        }
        compile_definition(definition)
        save_definition(definition)
        ran = api.post("/api/1.1/wf/raise-budget", json={"lead": made[1], "by": 50})
        assert ran.status_code == 200, ran.text
        assert ran.json()["response"] == {"budget": 1051, "stage": "Lost"}
        assert api.get(f"/api/1.1/obj/lead/{made[1]}").json()["response"]["budget"] == 1051
        assert server.process.poll() is None  # the same server throughout
    finally:
        server.stop()
