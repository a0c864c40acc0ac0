"""Who may call a workflow: its ``auth`` setting against the caller."""

from __future__ import annotations

from typing import Any

from ..choices import AuthMode
from ..exceptions import Forbidden, Unauthenticated


def require_access(auth: str, user: Any) -> None:
    if auth == AuthMode.NONE:
        return
    if not getattr(user, "is_authenticated", False):
        raise Unauthenticated("this workflow needs an API key: send 'Authorization: Bearer <key>'")
    if auth == AuthMode.ADMIN and not user.is_staff:
        raise Forbidden("this workflow can only be run with an admin (staff) user's key")
