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
        credential = self._verify_token(key) if is_token_prefix(prefix) else self._verify(key)
        return credential.user, credential

    def _verify(self, key: str) -> ApiKey:
        prefix, _, _ = key.partition(".")
        # a prepared statement (workflows/statements.py): every API call starts here
        api_key = select_one(ApiKey, {"prefix": prefix}, related={"user": None})
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed("the API key is not valid")
        if api_key.revoked:
            raise exceptions.AuthenticationFailed("the API key has been revoked")
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("the API key has expired")
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("the API key's user is inactive")
        _note_use(ApiKey, api_key)
        return api_key

    def _verify_token(self, key: str) -> UserToken:
        prefix, _, _ = key.partition(".")
        token = select_one(UserToken, {"prefix": prefix}, related={"user": None})
        if token is None or not token.is_valid(key):
            raise exceptions.AuthenticationFailed("the user token is not valid")
        if token.revoked:
            raise exceptions.AuthenticationFailed("the user token has been revoked (logged out)")
        if token.has_expired:
            raise exceptions.AuthenticationFailed("the user token has expired: log in again")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("the user token's user is inactive")
        _note_use(UserToken, token)  # each use starts its unused period again
        return token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 without a key.
        return 'Bearer realm="api"'


def _note_use(model: type[ApiKey] | type[UserToken], row: ApiKey | UserToken) -> None:
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        model.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
