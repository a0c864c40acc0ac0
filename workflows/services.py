"""Writes that views, the admin and management commands share."""

from __future__ import annotations

from typing import Any

from .models import ApiKey


def api_key_create(*, user: Any, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user``; the plain key is returned once and only its hash is stored."""
    return ApiKey.objects.create_key(user=user, name=name[:50] or "API key")


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key at once; revocation cannot be undone."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
