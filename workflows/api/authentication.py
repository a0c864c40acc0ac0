"""``Authorization: Bearer <key>`` → the key's user.

Keys are djangorestframework-api-key keys (``prefix.secret``, stored as a SHA-512 hash,
revocable, with optional expiry) extended with an owner; a request made with one runs as
that owner.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from ..models import ApiKey
from ..statements import select_one

#: ``last_used_at`` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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
        api_key = self._verify(key)
        return api_key.user, api_key

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
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 without a key.
        return 'Bearer realm="api"'
