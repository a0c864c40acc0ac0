"""The one place that reads ``settings.BUBBLE``; every other module asks here.

Defaults are kept in ``DEFAULTS`` so a project that sets nothing still works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Models that workflows may read and write, as "app_label.ModelName".
    "DATA_TYPES": ["auth.User"],
    # Runs nested deeper than this (custom events, self-scheduling) are refused.
    "MAX_DEPTH": 10,
    # Operator-defined constants, available to expressions as ``settings``.
    "SETTINGS": {},
    # Longest accepted expression or text template, in characters.
    "MAX_EXPRESSION_LENGTH": 10_000,
    # Largest string or list an expression may build (``*``, filters), in items.
    "MAX_VALUE_SIZE": 1_000_000,
    # Wall-clock budget for evaluating a single expression, in seconds.
    "EXPRESSION_TIME_LIMIT": 2.0,
    # Most rows ``search(...)`` returns to an expression.
    "SEARCH_LIMIT": 10_000,
    # Default and largest timeout of the http_request action, in seconds.
    "HTTP_TIMEOUT": 30.0,
    "HTTP_MAX_RESPONSE_BYTES": 5 * 1024 * 1024,
    # The most bytes send_email attaches to one email, all its files together.
    "EMAIL_ATTACHMENTS_MAX_BYTES": 10 * 1024 * 1024,
    # http_request refuses loopback, private, link-local (cloud metadata) and other
    # non-public addresses, checked on every resolved address and redirect, unless this is
    # True or the address is in one of HTTP_ALLOWED_NETWORKS (CIDRs, e.g. "10.1.2.0/24").
    "HTTP_ALLOW_PRIVATE": False,
    # Take ``?api_token=`` in a URL as the Authorization header (Bubble's callers that
    # cannot be changed yet); off: a credential in a URL is refused (docs/security.md).
    "ALLOW_TOKEN_IN_URL": False,
    "HTTP_ALLOWED_NETWORKS": [],
    # Hosts the admin's "Bring a Bubble app over" may read without the outbound-address
    # guard (a Bubble app reachable on a private network, a local stand-in); the command
    # import_bubble_app trusts the address its operator types.
    "IMPORT_ALLOWED_HOSTS": [],
    # Fields never shown in logs, responses or expressions, whatever the model.
    "HIDDEN_FIELDS": ["password"],
    # Fields no workflow may write (create_thing, make_changes...), per data type: a
    # workflow fed by an anonymous caller must not make anyone staff or superuser. Refused
    # when the workflow is saved where the data type is known, else when it runs. The
    # "auth.User" entry also covers a custom AUTH_USER_MODEL.
    "PROTECTED_FIELDS": {
        "auth.User": [
            "password",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        ],
    },
    # Keys that encrypt admin-stored secrets (workflows.secrets): the first encrypts, all
    # decrypt; empty: derived from SECRET_KEY (and SECRET_KEY_FALLBACKS), which always
    # decrypt too. A comma-separated string or a list.
    "SECRETS_KEY": [],
    # Seconds past its workflow's timeout before a run still "running" outside the
    # scheduler (an API call whose web worker was killed) is ended as WORKER_LOST.
    "ABANDONED_RUN_GRACE": 60,
    # Run statistics (workflows/stats/, docs/operations.md#run-statistics): seconds after
    # an hour ends before it may be closed (a run that started just before has its row
    # written by then), and days closed hours are kept for the dashboard (the totals of
    # /metrics are kept for ever).
    "RUN_STATS_SETTLE": 60,
    "RUN_STATS_KEEP_DAYS": 90,
    # "Detect data": seconds a builder's request waits for the call to
    # /api/1.1/wf/<name>/initialize, and seconds the captured request is kept after it.
    "DETECT_DATA_WAIT": 600,
    "DETECT_DATA_KEEP": 3600,
    # User tokens (docs/api.md#user-tokens), made by sign_up and log_user_in: seconds a
    # token is valid from its log-in without and with "stay logged in" (Bubble's 24 hours
    # and a year), and seconds unused after which it expires anyway (Bubble's 30 days; 0:
    # never). Each use starts the unused period again, up to the token's own expiry.
    "USER_TOKEN_TTL": 24 * 3600,
    "USER_TOKEN_TTL_STAY_LOGGED_IN": 365 * 24 * 3600,
    "USER_TOKEN_IDLE": 30 * 24 * 3600,
    # Seconds a token that stopped working (expired, idle or revoked) is kept, for the
    # admin's history, before the scheduler's hourly housekeeping deletes it.
    "USER_TOKEN_KEEP": 7 * 24 * 3600,
    # Failed log-ins (log_user_in, update_credentials' old password) allowed per email and
    # per client address, "N/s", "N/min", "N/hour" or "N/day"; beyond, every attempt is
    # refused until the window has room again. "0" or empty turns one off.
    "LOGIN_THROTTLE_EMAIL": "10/hour",
    "LOGIN_THROTTLE_ADDRESS": "100/hour",
    # Password reset emails (send_password_reset_email) allowed per email and per client
    # address, every one counted, so an open "forgot password" workflow cannot flood a
    # mailbox; the same forms as above.
    "RESET_EMAIL_THROTTLE_EMAIL": "5/hour",
    "RESET_EMAIL_THROTTLE_ADDRESS": "50/hour",
    # The server's public address (https://api.example.com) in links sent by email (password
    # reset, create_account_for_someone_else); empty: the address the request came to.
    "SITE_URL": "",
    # Run history (docs/operations.md#run-history): finished runs (and their steps) and
    # finished scheduled runs older than this are deleted by the scheduler's housekeeping;
    # failed ones are kept for FAILED_RUN_RETENTION. A duration ("30d", "12h", "8w") or
    # "forever". PRUNE_BATCH_SIZE rows go per transaction, PRUNE_PAUSE seconds apart: on
    # SQLite a batch holds the one write lock, about 0.2 ms per run (docs/performance.md).
    "RUN_RETENTION": "30d",
    "FAILED_RUN_RETENTION": "90d",
    "PRUNE_BATCH_SIZE": 100,
    "PRUNE_PAUSE": 0.05,
    # Idempotent calls (docs/api.md#idempotent-calls): seconds a POST's answer is kept for
    # repeats of its Idempotency-Key, and seconds a repeat waits for the first call still
    # running before it answers 409.
    "IDEMPOTENCY_TTL": 24 * 3600,
    "IDEMPOTENCY_WAIT": 10.0,
    # Emails to the admins (docs/operations.md#failure-emails): to ALERT_EMAILS, else the
    # addresses of Django's ADMINS, when a workflow has ALERT_FAILURES failed runs within
    # ALERT_WINDOW (0: never) or a run goes deeper than MAX_DEPTH; at most one email of
    # each kind per workflow per ALERT_PERIOD.
    "ALERT_EMAILS": [],
    "ALERT_FAILURES": 5,
    "ALERT_WINDOW": "15m",
    "ALERT_PERIOD": "1h",
    # Header and key names whose values are masked in run logs.
    "MASKED_KEYS": [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api_key",
        "apikey",
        "password",
        "secret",
        "token",
    ],
}


def bubble_settings() -> dict[str, Any]:
    """The effective settings: DEFAULTS overridden by ``settings.BUBBLE``."""
    return {**DEFAULTS, **getattr(settings, "BUBBLE", {})}


def get(name: str) -> Any:
    return bubble_settings()[name]
