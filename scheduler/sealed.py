"""A scheduled run's secret parameters, sealed at rest.

A run scheduled for later keeps its parameters until it runs, a password given to a
sign-up or a token marked ``secret: true`` included. The run log masks them; the
scheduled run's row (and a recurring event's) must not hold them in clear either, or a
backup or a leaked dump of the database would reveal them. Each such value is stored
encrypted with the operator secrets' keys (``workflows.secrets``: Fernet, keyed from
``BUBBLE_SECRETS_KEY``, else ``SECRET_KEY``) as ``{"$sealed": "<token>"}``, opened only
when the run starts; the admin and the API show it masked (``execution.shown_params``).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from workflows import secrets
from workflows.exceptions import InvalidParameter

SEALED = "$sealed"


def seal(params: Any, secret_keys: Collection[str]) -> Any:
    """``params`` (stored JSON) with the values of ``secret_keys`` sealed."""
    if not secret_keys or not isinstance(params, dict):
        return params
    return {
        key: {SEALED: secrets.encrypt(json.dumps(value))}
        if key in secret_keys and value not in (None, "") and not is_sealed(value)
        else value
        for key, value in params.items()
    }


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and SEALED in value


def unseal(params: Any) -> Any:
    """``params`` as they were given, to run with. A value the configured keys cannot
    open (``SECRET_KEY`` changed since it was scheduled) is an ``InvalidParameter``
    naming it: the run fails with that error instead of running without it."""
    if not isinstance(params, dict) or not any(is_sealed(v) for v in params.values()):
        return params
    return {
        key: _opened(key, value) if is_sealed(value) else value for key, value in params.items()
    }


def _opened(key: str, value: dict[str, Any]) -> Any:
    try:
        return json.loads(secrets.decrypt(str(value[SEALED]), key))
    except (secrets.UnreadableSecret, ValueError):
        raise InvalidParameter(
            f"{key}: this secret parameter was stored encrypted and the configured keys "
            "cannot decrypt it (was SECRET_KEY or BUBBLE_SECRETS_KEY changed? see "
            "docs/secrets.md): schedule the run again",
            parameter=key,
        ) from None
