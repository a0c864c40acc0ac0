"""User tokens: made by a log-in, revoked one by one or all of a user's at once.

The services the account actions, the admin and the password-reset page share (they do
not import the engine, so the actions can import them). See docs/api.md#user-tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from . import conf
from .models import UserToken


def user_token_ttl(*, stay_logged_in: bool) -> int:
    """Seconds a new user token is valid: ``USER_TOKEN_TTL``, or
    ``USER_TOKEN_TTL_STAY_LOGGED_IN`` when the user stays logged in (docs/api.md)."""
    name = "USER_TOKEN_TTL_STAY_LOGGED_IN" if stay_logged_in else "USER_TOKEN_TTL"
    return int(conf.get(name))


def user_token_create(
    *, user: Any, stay_logged_in: bool = False, name: str = "log-in"
) -> tuple[UserToken, str, int]:
    """A new token logging ``user`` in: the row, the plain token (returned once; only its
    hash is stored) and the seconds it is valid for (Bubble's ``expires``)."""
    ttl = user_token_ttl(stay_logged_in=stay_logged_in)
    token, plain = UserToken.objects.create_key(
        user=user,
        name=name[:50] or "log-in",
        stay_logged_in=stay_logged_in,
        expiry_date=timezone.now() + timedelta(seconds=ttl),
    )
    return token, plain, ttl


def user_token_revoke(*, token: UserToken) -> None:
    """Revoke one token (a log-out) from its next request; it cannot be undone."""
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])


def user_tokens_revoke_all(*, user: Any, keep: UserToken | None = None) -> int:
    """Revoke every token of ``user`` (log out everywhere), except ``keep`` if given (the
    session making the change); how many were revoked."""
    tokens = UserToken.objects.filter(user=user, revoked=False)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.update(revoked=True)
