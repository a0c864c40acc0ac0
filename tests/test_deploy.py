"""The deployment files (docs/operations.md#deployment) parse, name what the docs say, and
start the web server exactly as ``manage.py serve`` does; where the tools are installed,
systemd and nginx check them too."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workflows.management.commands.serve import gunicorn_command

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
APP = "/opt/bubble-backend"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def gunicorn_flags(argv: list[str]) -> list[str]:
    """The flags of a gunicorn command line, without the values that differ by place (where
    it listens, how many workers, the timeout a setting gives)."""
    flags = argv[argv.index("bubble_backend.wsgi") + 1 :]
    for option in ("--bind", "--workers", "--timeout"):
        flags[flags.index(option) + 1] = "..."
    return flags


SERVE_FLAGS = gunicorn_flags(gunicorn_command("127.0.0.1:8000", 2, 330))


# --- compose.yaml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_the_app_the_scheduler_postgresql_and_redis(compose):
    services = compose["services"]
    assert set(services) == {"app", "scheduler", "postgres", "redis"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    # one image for both: the web server is its command, the scheduler the other
    assert services["app"]["build"] == services["scheduler"]["build"] == "."
    assert "command" not in services["app"]
    assert services["scheduler"]["command"] == ["python", "manage.py", "run_scheduler"]


def test_compose_wires_the_database_and_the_broker(compose):
    for name in ("app", "scheduler"):
        environment = compose["services"][name]["environment"]
        assert re.match(
            r"postgres://bubble:\$\{POSTGRES_PASSWORD:\?.*\}@postgres:5432/bubble",
            environment["DATABASE_URL"],
        )
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        # required: two containers with keys of their own could not read each other's
        # sessions nor stored secrets
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert "MIGRATE" not in environment or name == "app"
    assert compose["services"]["app"]["environment"]["MIGRATE"] == "1"


def test_compose_starts_the_scheduler_once_the_app_is_ready(compose):
    app, scheduler = compose["services"]["app"], compose["services"]["scheduler"]
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    assert scheduler["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert {name: d["condition"] for name, d in app["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    for name in ("postgres", "redis"):
        assert compose["services"][name]["healthcheck"]["test"]


# --- the image -----------------------------------------------------------------------------


def test_the_image_starts_the_web_server_as_serve_does():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["deploy/docker/web.sh"]' in dockerfile
    script = ROOT / "deploy" / "docker" / "web.sh"
    assert os.access(script, os.X_OK)
    command = script.read_text().replace("\\\n", " ").split("exec ", 1)[1].splitlines()[0]
    argv = shlex.split(command)
    assert gunicorn_flags(argv) == SERVE_FLAGS
    assert argv[argv.index("--timeout") + 1] == "${WEB_TIMEOUT:-330}"
    assert "manage.py migrate --noinput" in script.read_text()


def test_the_image_keeps_secrets_and_local_data_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "var", ".git", ".venv"} <= ignored


def test_the_image_installs_the_postgresql_driver():
    assert "pip install -e '.[postgres]'" in (ROOT / "Dockerfile").read_text()
    assert "postgres = [" in (ROOT / "pyproject.toml").read_text()


# --- systemd -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bubble-web.service", "bubble-scheduler.service"])
def test_the_units_parse(name):
    parsed = unit(name)
    assert {"Unit", "Service", "Install"} <= set(parsed.sections())
    service = parsed["Service"]
    assert service["User"] == "bubble" and service["WorkingDirectory"] == APP
    assert service["Restart"] == "always"
    assert service["Environment"] == "BUBBLE_VAR_DIR=/var/lib/bubble-backend"
    assert service["StateDirectory"] == "bubble-backend"


def test_the_web_unit_starts_gunicorn_as_serve_does():
    argv = shlex.split(unit("bubble-web.service")["Service"]["ExecStart"])
    assert argv[0] == f"{APP}/.venv/bin/gunicorn"
    assert gunicorn_flags(argv) == SERVE_FLAGS
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"  # behind the proxy only
    assert argv[argv.index("--timeout") + 1] == "330"  # WEB_TIMEOUT's default


def test_the_scheduler_unit_starts_run_scheduler():
    argv = shlex.split(unit("bubble-scheduler.service")["Service"]["ExecStart"])
    assert argv == [f"{APP}/.venv/bin/python", "manage.py", "run_scheduler"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_finds_nothing_wrong(tmp_path):
    """In a root of their own, with stand-ins for the programs they start."""
    for program in ("gunicorn", "python"):
        path = tmp_path / APP.lstrip("/") / ".venv" / "bin" / program
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    (tmp_path / "bin").mkdir()
    shutil.copy(shutil.which("kill") or "/bin/kill", tmp_path / "bin" / "kill")
    (tmp_path / "usr" / "lib" / "systemd").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "systemd" / "system").symlink_to("/lib/systemd/system")
    units = tmp_path / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for path in UNITS.glob("*.service"):
        shutil.copy(path, units)
    result = subprocess.run(  # noqa: S603 - fixed argv
        ["systemd-analyze", "verify", f"--root={tmp_path}", *sorted(units.glob("*.service"))],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")


# --- nginx ---------------------------------------------------------------------------------


def test_nginx_forwards_what_the_settings_expect():
    site = (ROOT / "deploy" / "nginx" / "bubble-backend.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site  # NUM_PROXIES=1
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site  # SECURE_PROXY_SSL_HEADER
    assert "server 127.0.0.1:8000;" in site  # the web unit's --bind


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed")
def test_nginx_accepts_the_site(tmp_path):
    """``nginx -t`` with a throwaway certificate in place of the real one."""
    subprocess.run(  # noqa: S603 - fixed argv
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]  # noqa: S607
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")]
        + ["-subj", "/CN=api.example.com"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (ROOT / "deploy" / "nginx" / "bubble-backend.conf").read_text()
    site = site.replace(
        "/etc/letsencrypt/live/api.example.com/fullchain.pem", str(tmp_path / "cert.pem")
    )
    site = site.replace(
        "/etc/letsencrypt/live/api.example.com/privkey.pem", str(tmp_path / "key.pem")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- the README points to them ------------------------------------------------------------


def test_the_readme_points_to_the_deployment_files():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/operations.md#deployment)" in readme
    for name in ("compose.yaml", "Dockerfile", "deploy/systemd/", "deploy/nginx/"):
        assert name in readme
