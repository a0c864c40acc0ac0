"""What `make run` does, for real: migrate, load the examples, start gunicorn and a django-q2
cluster with `manage.py serve`, then use the admin and call process-order with a key."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.scheduler_processes import START_TIMEOUT, manage

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    # Always the embedded default here: this is the `make run` path on a fresh machine.
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(BUBBLE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="bubble_backend.settings")
    return environ


def test_make_run_serves_the_admin_and_process_order(env):
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["load_examples"]):
        manage(env, *step)
    assert "Log in as admin" in manage(env, "ensure_admin")
    key = manage(env, "create_api_key", "admin").strip()
    order = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from examples.models import Order; "
        "print(Order.objects.filter(status='new', total__gt=0).order_by('pk').first().pk)",
    ).strip()

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT  # generous: the machine may be busy
        while True:
            try:
                if httpx.get(f"{base}/admin/login/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(0.3)
        assert httpx.get(f"{base}/static/admin/css/base.css").status_code == 200
        response = httpx.post(
            f"{base}/api/1.1/wf/process-order",
            json={"order": int(order)},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "success"
        assert response.json()["response"]["status"] == "paid"
        unauthenticated = httpx.post(f"{base}/api/1.1/wf/process-order", json={"order": 1})
        assert unauthenticated.status_code == 401
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=START_TIMEOUT)


def run_serve(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "serve", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )


def test_serve_refuses_a_port_in_use_before_saying_it_is_up(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(env, "--port", str(port))
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "PORT=9000 make run" in result.stderr
    assert "is up" not in result.stdout


def test_serve_takes_the_port_from_the_environment(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve({**env, "PORT": str(port)})
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr


def test_serve_exits_non_zero_when_gunicorn_fails_to_start(env):
    # gunicorn reads extra options from GUNICORN_CMD_ARGS: an unknown worker class stops it
    # before it binds.
    result = run_serve(
        {**env, "GUNICORN_CMD_ARGS": "--worker-class no.such.Worker"}, "--port", str(free_port())
    )
    assert result.returncode != 0
    assert "The web server (gunicorn) did not start listening" in result.stderr
    assert "(exit code 1)" in result.stderr
    assert "is up" not in result.stdout
