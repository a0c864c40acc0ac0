"""Settings read from the environment (README "Configuration"): each case starts a fresh
interpreter, since settings are read once at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The worked values of docs/operations.md ("HTTPS behind a proxy").
HTTPS_BEHIND_A_PROXY = {
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "ALLOWED_HOSTS": "api.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://api.example.com",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}
NAMES = [
    "SECRET_KEY_FALLBACKS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "HOST",
    "PORT",
    "WEB_WORKERS",
]


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    """The current environment without any of the variables under test."""
    keep = {k: v for k, v in os.environ.items() if k not in NAMES and k not in HTTPS_BEHIND_A_PROXY}
    return {
        **keep,
        "BUBBLE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "bubble_backend.settings",
    }


def run(environment: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(environment: dict[str, str], **variables: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {NAMES!r}}}))"
    )
    result = run({**environment, **variables}, "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_defaults_keep_plain_http_working(environment):
    assert read_settings(environment) == {
        "SECRET_KEY_FALLBACKS": [],
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "HOST": "127.0.0.1",
        "PORT": 8000,
        "WEB_WORKERS": 2,
    }


def test_values_come_from_the_environment(environment):
    values = read_settings(
        environment,
        **HTTPS_BEHIND_A_PROXY,
        SECRET_KEY_FALLBACKS="old-key-1, old-key-2",  # spaces after commas are not part of keys
        HOST="0.0.0.0",  # noqa: S104
        PORT="9000",
        WEB_WORKERS="4",
    )
    assert values == {
        "SECRET_KEY_FALLBACKS": ["old-key-1", "old-key-2"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],  # a tuple, as JSON
        "HOST": "0.0.0.0",  # noqa: S104
        "PORT": 9000,
        "WEB_WORKERS": 4,
    }


def test_a_malformed_proxy_ssl_header_is_refused(environment):
    result = run(
        {**environment, "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"},
        "manage.py",
        "check",
    )
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be 'HEADER,value'" in result.stderr


def test_the_documented_https_values_make_check_deploy_clean(environment):
    result = run({**environment, **HTTPS_BEHIND_A_PROXY}, "manage.py", "check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout, result.stderr


def test_the_https_values_are_documented():
    operations = (ROOT / "docs" / "operations.md").read_text()
    for name, value in HTTPS_BEHIND_A_PROXY.items():
        if name != "SECRET_KEY":
            assert f"{name}={value}" in operations


def test_a_development_database_is_an_alias_with_its_router(environment, tmp_path):
    """``VERSION_TEST_DATABASE_URL``: the ``version_test`` database, the router that sends
    tests' things there, and ``migrate`` leaves it alone (docs/versions.md)."""
    code = (
        "import django, json; django.setup(); "
        "from django.conf import settings; from django.db import router; "
        "from workflows.models import Run; "
        "print(json.dumps([settings.DATABASES['version_test']['NAME'], "
        "settings.DATABASE_ROUTERS, router.allow_migrate_model('version_test', Run)]))"
    )
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    result = run({**environment, "VERSION_TEST_DATABASE_URL": url}, "-c", code)
    assert result.returncode == 0, result.stderr
    name, routers, migrates = json.loads(result.stdout.splitlines()[-1])
    assert name == str(tmp_path / "dev.sqlite3") and migrates is False
    assert routers == ["workflows.data_model.databases.ThingsRouter"]
    plain = run(
        environment,
        "-c",
        code.replace("settings.DATABASES['version_test']['NAME']", "sorted(settings.DATABASES)"),
    )
    assert json.loads(plain.stdout.splitlines()[-1])[:2] == [["default"], []]
