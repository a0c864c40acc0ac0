"""Who may call a workflow: its ``auth`` setting against the caller, and what the caller's
API key is scoped to (which workflows, whether the Data API). A user token (a log-in) has no
scope: it may do whatever its user may (docs/security.md#scopes)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from ..choices import AuthMode
from ..exceptions import Forbidden, Unauthenticated
from ..models import UserToken


def require_access(auth: str, user: Any) -> None:
    if auth == AuthMode.NONE:
        return
    if not getattr(user, "is_authenticated", False):
        raise Unauthenticated("this workflow needs an API key: send 'Authorization: Bearer <key>'")
    if auth == AuthMode.ADMIN and not user.is_staff:
        raise Forbidden("this workflow can only be run with an admin (staff) user's key")


# --- what an API key's scope allows (its user's rights still apply on top) --------------


def scoped_workflows(request: Any) -> list[str] | None:
    """The workflow names the request's key is limited to; None when it is not limited.

    Read from the key row loaded by this request's authentication, never cached, so a
    scope edited in the admin applies from the next request.
    """
    api_key = getattr(request, "auth", None)
    if isinstance(api_key, UserToken):
        return None  # a log-in: every workflow its user may run
    names = getattr(api_key, "allowed_workflows", None)
    return list(names) if names else None


def require_workflow_scope(request: Any, name: str) -> None:
    """Refuse (403) a workflow outside the key's scope, before looking the workflow up, so a
    scoped key cannot tell which other workflows exist."""
    allowed = scoped_workflows(request)
    if allowed is not None and name not in allowed:
        raise Forbidden(f"this API key may not run the workflow {name!r} (outside its scope)")


def require_data_api(request: Any) -> None:
    """Refuse (403) a key made without Data API access. Call it first in every Data API
    view; anonymous requests pass (privacy rules decide what they see)."""
    api_key = getattr(request, "auth", None)
    if isinstance(api_key, UserToken):
        return  # a log-in: the Data API as its user, privacy rules deciding
    if api_key is not None and getattr(api_key, "allow_data_api", True) is False:
        raise Forbidden("this API key may not use the Data API (/api/1.1/obj/)")


class DataApiAllowed(BasePermission):
    """``require_data_api`` as a DRF permission: ``permission_classes = [DataApiAllowed]``."""

    def has_permission(self, request: Any, view: Any) -> bool:
        require_data_api(request)
        return True
