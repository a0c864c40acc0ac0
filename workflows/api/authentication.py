"""``Authorization: Bearer <key or token>`` → its user.

Two credentials use the one header, both djangorestframework-api-key rows (``prefix.secret``,
stored as a SHA-512 hash, revocable, with an expiry), both running as their user:

* API keys (``ApiKey``, an 8-character prefix), made by an operator, optionally scoped;
* user tokens (``UserToken``, a 12-character prefix), made by ``sign_up`` and
  ``log_user_in``, which also expire once unused for ``USER_TOKEN_IDLE``.

The prefix's length says which table to read, so an API key costs the one lookup it always
did, a token one lookup too, and neither can be taken for the other (docs/api.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from ..models import ApiKey, UserToken
from ..models.tokens import TOKEN_PREFIX_LENGTH
from ..statements import select_one

#: ``last_used_at`` is written at most this often per key or token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_token_prefix(prefix: str) -> bool:
    """Whether a credential's prefix is a user token's (an API key's is shorter)."""
    return len(prefix) == TOKEN_PREFIX_LENGTH


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "malformed Authorization header; send 'Authorization: Bearer <key>'"
            )
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("the API key is not valid") from None
        prefix, _, _ = key.partition(".")
        kind = _TOKEN if is_token_prefix(prefix) else _KEY
        credential = _verified(kind, prefix, key)
        return credential.user, credential

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 without a key.
        return 'Bearer realm="api"'


@dataclass(frozen=True)
class _Credential:
    """One kind of bearer credential: its table and how its refusals read."""

    model: type[ApiKey] | type[UserToken]
    noun: str
    revoked: str
    expired: str


_KEY = _Credential(ApiKey, "the API key", "has been revoked", "has expired")
_TOKEN = _Credential(
    UserToken, "the user token", "has been revoked (logged out)", "has expired: log in again"
)


def _verified(kind: _Credential, prefix: str, key: str) -> ApiKey | UserToken:
    """The stored credential ``key`` is, checked; ``AuthenticationFailed`` saying why not."""
    # a prepared statement (workflows/statements.py): every API call starts here
    row = select_one(kind.model, {"prefix": prefix}, related={"user": None})
    if row is None or not row.is_valid(key):
        raise exceptions.AuthenticationFailed(f"{kind.noun} is not valid")
    if row.revoked:
        raise exceptions.AuthenticationFailed(f"{kind.noun} {kind.revoked}")
    if row.has_expired:
        raise exceptions.AuthenticationFailed(f"{kind.noun} {kind.expired}")
    if not row.user.is_active:
        raise exceptions.AuthenticationFailed(f"{kind.noun}'s user is inactive")
    _note_use(kind.model, row)  # for a token, each use starts its unused period again
    return row


def _note_use(model: type[ApiKey] | type[UserToken], row: ApiKey | UserToken) -> None:
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        model.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
