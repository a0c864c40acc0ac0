"""User tokens: the bearer credential a log-in gives (``sign_up``, ``log_user_in``).

Built on djangorestframework-api-key like API keys (``prefix.secret``, only a SHA-512 hash
stored, revocable, an expiry), with Bubble's rules on top: a token expires at its own
expiry date (24 hours, or a year when "stay logged in") and also once unused for
``USER_TOKEN_IDLE`` (30 days). A token's prefix is 12 characters, a key's 8, so neither can
ever be taken for the other (``workflows/api/authentication.py``). See docs/api.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from .. import conf

#: the length of a user token's prefix; an API key's is 8 (the library's default)
TOKEN_PREFIX_LENGTH = 12
TOKEN_SECRET_LENGTH = 40


class UserTokenManager(BaseAPIKeyManager):
    key_generator = KeyGenerator(
        prefix_length=TOKEN_PREFIX_LENGTH, secret_key_length=TOKEN_SECRET_LENGTH
    )


def idle_limit() -> timedelta | None:
    """How long a token may stay unused (``USER_TOKEN_IDLE``); None: for ever."""
    seconds = int(conf.get("USER_TOKEN_IDLE") or 0)
    return timedelta(seconds=seconds) if seconds > 0 else None


class UserToken(AbstractAPIKey):
    """A user's log-in: a bearer credential that runs as its user, like an API key without
    a scope (every workflow its user may run, and the Data API)."""

    objects = UserTokenManager()

    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, unique=True, editable=False)
    name = models.CharField(
        max_length=50, default="log-in", help_text="What made it (sign_up, log_user_in)."
    )
    revoked = models.BooleanField(
        blank=True,
        default=False,
        help_text="A revoked token is refused from its next request (this cannot be undone).",
    )
    expiry_date = models.DateTimeField(
        "expires",
        blank=True,
        null=True,
        help_text="It stops working at this moment, or sooner when left unused.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_tokens"
    )
    stay_logged_in = models.BooleanField(default=False, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "user token"
        verbose_name_plural = "user tokens"

    @property
    def expires_at(self) -> datetime | None:
        """When it stops working if unused from now on: its expiry date, or sooner the end
        of its unused period (counted from its last use, or its creation)."""
        limit = idle_limit()
        idle_end = (self.last_used_at or self.created) + limit if limit and self.created else None
        ends = [moment for moment in (self.expiry_date, idle_end) if moment is not None]
        return min(ends) if ends else None

    def _has_expired(self) -> bool:
        expires_at = self.expires_at
        return expires_at is not None and expires_at <= timezone.now()

    _has_expired.short_description = "Has expired"  # type: ignore[attr-defined]
    _has_expired.boolean = True  # type: ignore[attr-defined]
    has_expired = property(_has_expired)
