"""Settings, read from the environment (12-factor) with a safe embedded default.

With no environment at all the project runs on SQLite under ``var/``, django-q2's ORM
broker, console email and a secret key generated once into ``var/secret_key``.
Every knob is listed in README.md ("Configuration").
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("BUBBLE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Old keys still accepted for sessions, password resets and decrypting stored secrets while
# rotating (docs/secrets.md#keys-and-rotation); comma-separated.
SECRET_KEY_FALLBACKS = [k.strip() for k in env.list("SECRET_KEY_FALLBACKS", default=[])]
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS ----------------------------------------------------------------------------
# Off by default so `make run` works on plain http://127.0.0.1; docs/operations.md has the
# values for HTTPS behind a TLS-terminating proxy (they make `check --deploy` clean).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)


def _proxy_ssl_header() -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER as ``HEADER,value``, e.g. ``HTTP_X_FORWARDED_PROTO,https``: a
    request is https when the proxy sets that header to that value. Only behind a proxy that
    always sets (or strips) the header: otherwise a client could claim https."""
    value = [item.strip() for item in env.list("SECURE_PROXY_SSL_HEADER", default=[])]
    if not value:
        return None
    if len(value) != 2:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER must be 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    return (value[0], value[1])


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()

# --- `manage.py serve` (and `make run`) -----------------------------------------------
HOST = env.str("HOST", default="127.0.0.1")
PORT = env.int("PORT", default=8000)
WEB_WORKERS = env.int("WEB_WORKERS", default=2)
# Seconds gunicorn lets one request run before killing its worker: above Bubble's 300 s
# limit for a workflow, so an API workflow is stopped by its own timeout, not the server's
# 30 s default (docs/operations.md).
WEB_TIMEOUT = env.int("WEB_TIMEOUT", default=330)

INSTALLED_APPS = [
    # Django's admin with the project's site: its "Data" section (workflows/admin_site.py)
    "bubble_backend.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # Provides the hashed-key machinery our workflows.ApiKey builds on; its own APIKey
    # model is unused and hidden from the admin.
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here: no CDN, works offline
    "django_q",
    "guardian",
    "workflows",
    # The models of data types defined in the admin, built at run time (docs/data-types.md).
    "workflows.data_model.apps.ThingsConfig",
    "scheduler",
    "examples",
    # manage.py import_bubble_app: a Bubble app's data model and workflows brought over
    "bubble_import",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before anything else (no host check, no https
    # redirect, no session): load balancers and Prometheus call them by address, over http
    "bubble_backend.ops.middleware.OpsEndpointsMiddleware",
    # /api/ is served by the live version, /version-test/api/ by development (docs/versions.md)
    "workflows.versions.middleware.VersionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses an API key sent in a URL (docs/security.md), before anything else reads it.
    "workflows.api.key_in_url.KeyInUrlMiddleware",
    # Refuses NUL (%00) in API URLs: PostgreSQL cannot compare text holding one.
    "workflows.api.nul_in_url.NulInUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Database triggers fired by a request's changes run as its user (workflows/acting.py).
    "workflows.acting.CurrentRequestMiddleware",
    # Every request starts with this process's models of the data types current.
    "workflows.data_model.registry.SchemaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bubble_backend.urls"
WSGI_APPLICATION = "bubble_backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Development's own data (docs/versions.md#a-database-for-development): the things that
# tests of development (/version-test/) read and write; empty: the same data as live
if env.str("VERSION_TEST_DATABASE_URL", default=""):
    DATABASES["version_test"] = env.db_url("VERSION_TEST_DATABASE_URL")
    DATABASE_ROUTERS = ["workflows.data_model.databases.ThingsRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server and the django-q2 cluster read while one writes;
        # IMMEDIATE transactions take the write lock up front instead of failing midway.
        _database.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
    # Persistent connections on every database: on PostgreSQL a connection costs a round
    # trip and authentication; on SQLite closing the last connection checkpoints the WAL,
    # about 3 ms per request (docs/performance.md).
    _database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    _database.setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite: the Runs search's index, a database file of its own (workflows/run_text_index.py);
# empty: beside the database (var/db.search.sqlite3 for var/db.sqlite3)
RUN_SEARCH_INDEX = env.str("BUBBLE_RUN_SEARCH_INDEX", default="") or None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-guardian: per-object permissions ("this user may view this order") count as
# privacy grants (see workflows.privacy). No shadow "AnonymousUser" row: anonymous callers
# are governed by each data type's "everyone else" privacy rule.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not manifest-based, so the admin renders even before collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Email ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="bubble-backend@localhost")

# --- REST -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["workflows.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "workflows.api.parsers.JSONParser",  # depth and Unicode checked (jsontext)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "workflows.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per API key, and per client address for requests without one; "0" turns a rate off.
    "DEFAULT_THROTTLE_CLASSES": [
        "workflows.api.throttling.KeyRateThrottle",
        "workflows.api.throttling.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "key": env.str("BUBBLE_THROTTLE_KEY", default="600/min"),
        "address": env.str("BUBBLE_THROTTLE_ADDRESS", default="300/min"),
    },
    # Proxies in front of the server: the client address is the X-Forwarded-For entry this
    # many hops back. 0 (the default) trusts no header and uses the connection's address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# The OpenAPI document (/api/schema/, /api/docs/): every exposed workflow is its own typed
# operation, built from its parameters when asked for (workflows/api/schema/).
SPECTACULAR_SETTINGS = {
    # builders write descriptions and help texts that reach the document: Redoc must not
    # render them as HTML (Swagger UI sanitizes on its own)
    "REDOC_UI_SETTINGS": {"untrustedSpec": True},
    "TITLE": "bubble-backend API",
    "DESCRIPTION": (
        "Bubble-compatible backend workflows: each exposed API workflow is its own operation "
        "under /api/1.1/wf/, with its parameters as the request body; the scheduler and the "
        "Data API (/api/1.1/obj/) follow. Send an API key or a user token as "
        "`Authorization: Bearer <key>`. "
        "Errors are JSON: `{status: error, code, message, parameter?, run?}`."
    ),
    "VERSION": "1.1",
    "LICENSE": {"name": "MIT"},
    "SERVE_INCLUDE_SCHEMA": False,
    # The document is read from the database (the workflows): `check --deploy` may run before
    # `migrate`. `make test` validates it instead (tests/workflows/api/schema/).
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/1\.1",
    "PREPROCESSING_HOOKS": ["workflows.api.schema.hooks.expand_endpoints"],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key (admin → API keys, or `manage.py create_api_key`), "
                "or a user token: the `token` a workflow that logs a user in answers "
                "(`sign_up`, `log_user_in`). Either runs as its user.",
            }
        }
    },
    # Enums stay inline: each belongs to one field, and naming shared enums only warns.
    "POSTPROCESSING_HOOKS": ["workflows.api.schema.hooks.add_idempotency_key"],
    "TAGS": [
        {"name": "workflows", "description": "Run an exposed API workflow."},
        {"name": "scheduler", "description": "Schedule workflows; list and cancel runs."},
        {"name": "runs", "description": "Your runs: status, result and steps."},
        {"name": "data", "description": "The Data API: things, privacy-filtered."},
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        "persistAuthorization": True,
        "displayOperationId": True,
        "tryItOutEnabled": True,
    },
}
# Request bodies above this size are answered 413 (Django's own limit for form fields).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("BUBBLE_MAX_BODY_SIZE", default=10 * 1024 * 1024)
# The largest CSV file the admin's Upload CSV page reads (its files are not request bodies of
# the API: Django streams them to disk). Larger ones are refused on the form.
BUBBLE_CSV_UPLOAD_MAX_SIZE = env.int("BUBBLE_CSV_UPLOAD_MAX_SIZE", default=100 * 1024 * 1024)

# --- django-q2 ------------------------------------------------------------------------
# The scheduler hands due runs to django-q2; it keeps its own record of every run, so
# django-q2 neither retries (max_attempts 1) nor stores results (tasks are sent save=False).
# timeout: above the longest workflow timeout (3600 s); retry must exceed timeout.
Q_CLUSTER = {
    "name": "bubble",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 3700,
    "retry": 3800,
    "max_attempts": 1,
    "ack_failures": True,
    "poll": 0.1,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
}
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL  # django-q2's Redis broker
else:
    Q_CLUSTER["orm"] = "default"  # zero set-up: the database is the queue


def _cache_url(redis_url: str) -> str:
    """The broker's Redis with the neighbouring db index (0<->1, 14<->15...): clearing the
    cache (FLUSHDB) must never empty django-q2's queue. ``?db=`` wins over the path."""
    parts = urlsplit(redis_url)
    query = dict(parse_qsl(parts.query))
    path_db = parts.path.strip("/") if parts.scheme != "unix" else ""
    db = int(query.get("db") or (path_db if path_db.isdigit() else 0))
    return urlunsplit(parts._replace(query=urlencode({**query, "db": db ^ 1})))


# Throttle counters and the Scheduler's cached counts: shared through Redis when there is
# one, else per process (each server process then throttles on its own).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url(REDIS_URL),
            "KEY_PREFIX": "bubble",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The scheduler's tuning (scheduler/conf.py lists the keys and defaults), as JSON.
BUBBLE_SCHEDULER = env.json("BUBBLE_SCHEDULER", default={})

# --- bubble-backend -------------------------------------------------------------------
# Read through workflows.conf.bubble_settings(); defaults live there.
BUBBLE = {
    "DATA_TYPES": env.list(
        "BUBBLE_DATA_TYPES",
        default=[
            "auth.User",
            "examples.Customer",
            "examples.Order",
            "examples.Product",
            "examples.Profile",
            "examples.Review",
            "examples.Setting",
            "examples.VerificationCode",
        ],
    ),
    "MAX_DEPTH": env.int("BUBBLE_MAX_DEPTH", default=10),
    "SETTINGS": env.json("BUBBLE_SETTINGS", default={}),
    # http_request may reach loopback/private addresses only when allowed here.
    "HTTP_ALLOW_PRIVATE": env.bool("BUBBLE_HTTP_ALLOW_PRIVATE", default=False),
    "ALLOW_TOKEN_IN_URL": env.bool("BUBBLE_ALLOW_TOKEN_IN_URL", default=False),
    "HTTP_ALLOWED_NETWORKS": env.list("BUBBLE_HTTP_ALLOWED_NETWORKS", default=[]),
    "IMPORT_ALLOWED_HOSTS": env.list("BUBBLE_IMPORT_ALLOWED_HOSTS", default=[]),
    # Encrypts admin-stored secrets instead of SECRET_KEY; "new,old" while rotating.
    "SECRETS_KEY": env.list("BUBBLE_SECRETS_KEY", default=[]),
    # User tokens from sign_up / log_user_in: seconds valid (Bubble: 24 hours, a year with
    # "stay logged in") and seconds unused before they expire anyway (Bubble: 30 days).
    "USER_TOKEN_TTL": env.int("BUBBLE_USER_TOKEN_TTL", default=24 * 3600),
    "USER_TOKEN_TTL_STAY_LOGGED_IN": env.int(
        "BUBBLE_USER_TOKEN_TTL_STAY_LOGGED_IN", default=365 * 24 * 3600
    ),
    "USER_TOKEN_IDLE": env.int("BUBBLE_USER_TOKEN_IDLE", default=30 * 24 * 3600),
    "USER_TOKEN_KEEP": env.int("BUBBLE_USER_TOKEN_KEEP", default=7 * 24 * 3600),
    "IDEMPOTENCY_TTL": env.int("BUBBLE_IDEMPOTENCY_TTL", default=24 * 3600),
    "EMAIL_ATTACHMENTS_MAX_BYTES": env.int(
        "BUBBLE_EMAIL_ATTACHMENTS_MAX_BYTES", default=10 * 1024 * 1024
    ),
    # Failed log-ins allowed per email and per client address ("0" turns one off).
    "LOGIN_THROTTLE_EMAIL": env.str("BUBBLE_THROTTLE_LOGIN_EMAIL", default="10/hour"),
    "LOGIN_THROTTLE_ADDRESS": env.str("BUBBLE_THROTTLE_LOGIN_ADDRESS", default="100/hour"),
    # Password reset emails sent per email and per client address ("0" turns one off).
    "RESET_EMAIL_THROTTLE_EMAIL": env.str("BUBBLE_THROTTLE_RESET_EMAIL", default="5/hour"),
    "RESET_EMAIL_THROTTLE_ADDRESS": env.str("BUBBLE_THROTTLE_RESET_ADDRESS", default="50/hour"),
    # The public address in emailed links (password reset); empty: the request's own.
    "SITE_URL": env.str("BUBBLE_SITE_URL", default=""),
    # Days the run statistics' hours are kept for the dashboard (docs/operations.md).
    "RUN_STATS_KEEP_DAYS": env.int("BUBBLE_RUN_STATS_KEEP_DAYS", default=90),
    # --- run history and failure emails (docs/operations.md#run-history, #failure-emails)
    "RUN_RETENTION": env.str("BUBBLE_RUN_RETENTION", default="30d"),
    "FAILED_RUN_RETENTION": env.str("BUBBLE_FAILED_RUN_RETENTION", default="90d"),
    "ALERT_EMAILS": env.list("BUBBLE_ALERT_EMAILS", default=[]),
    "ALERT_FAILURES": env.int("BUBBLE_ALERT_FAILURES", default=5),
    "ALERT_WINDOW": env.str("BUBBLE_ALERT_WINDOW", default="15m"),
    "ALERT_PERIOD": env.str("BUBBLE_ALERT_PERIOD", default="1h"),
}

# --- Operations: logs, /metrics (docs/operations.md#monitoring) -----------------------
# "text" (the default) or "json": one JSON object per line, with the run id on every line a
# run logs (bubble_backend/ops/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="").strip().lower() or "text"
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
# /metrics answers 404 until one of these is set; each one set must then be satisfied.
# The token is a shared secret Prometheus sends as `Authorization: Bearer <token>`.
BUBBLE_METRICS_TOKEN = env.str("BUBBLE_METRICS_TOKEN", default="")


def _networks(name: str) -> list[str]:
    """A comma-separated list of CIDRs, each checked now: a typo must not lock Prometheus
    out (or let everybody in) silently."""
    networks = [item.strip() for item in env.list(name, default=[]) if item.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{name} names {network!r}, which is not a network (use CIDRs such as "
                "10.0.0.0/8,127.0.0.1/32)"
            ) from error
    return networks


BUBBLE_METRICS_ALLOWED_NETWORKS = _networks("BUBBLE_METRICS_ALLOWED_NETWORKS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # secrets (operator secrets, secret parameters) are masked in every line and traceback
        "mask_secrets": {"()": "workflows.log_filters.MaskSecretsFilter"},
        # the id of the run a line was logged in (record.run_id), for the JSON lines
        "run_id": {"()": "workflows.log_filters.RunIdFilter"},
    },
    "formatters": {"json": {"()": "bubble_backend.ops.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_secrets", "run_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # a line per request at INFO: the project logs its own outbound calls
        "httpx": {"level": "WARNING"},
    },
}
