"""Writes that views, the admin and management commands share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .models import ApiKey


def api_key_create(
    *,
    user: Any,
    name: str,
    workflows: Sequence[str] = (),
    allow_data_api: bool = True,
    expiry_date: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``user``; the plain key is returned once and only its hash is stored.

    ``workflows`` limits the key to those workflows (empty: any); see docs/security.md.
    """
    return ApiKey.objects.create_key(
        user=user,
        name=name[:50] or "API key",
        allowed_workflows=sorted(set(workflows)),
        allow_data_api=allow_data_api,
        expiry_date=expiry_date,
    )


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key at once; revocation cannot be undone."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
