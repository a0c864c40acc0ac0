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
    # Fields never shown in logs, responses or expressions, whatever the model.
    "HIDDEN_FIELDS": ["password"],
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
