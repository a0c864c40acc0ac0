"""User tokens: made by a log-in, revoked one by one or all of a user's at once.

The services the account actions, the admin and the password-reset page share (they do
not import the engine, so the actions can import them). See docs/api.md#user-tokens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import conf
from .models import UserToken
from .models.tokens import idle_limit


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


def user_tokens_purge(*, now: datetime | None = None) -> int:
    """Delete the tokens that stopped working more than ``USER_TOKEN_KEEP`` seconds ago
    (expired, unused past ``USER_TOKEN_IDLE``, or revoked and unused since), so the table
    holds live log-ins and recent history, not every log-in ever made; how many went.
    Deleting a token that no longer works changes nothing for anyone."""
    now = now or timezone.now()
    before = now - timedelta(seconds=max(int(conf.get("USER_TOKEN_KEEP") or 0), 0))
    last_seen = Coalesce("last_used_at", "created")
    gone = Q(expiry_date__lt=before) | Q(revoked=True, seen__lt=before)
    limit = idle_limit()
    if limit is not None:
        gone |= Q(seen__lt=before - limit)
    count, _ = UserToken.objects.alias(seen=last_seen).filter(gone).delete()
    return count
