"""Who is making a change: the user a run runs as, or the user of the request under way.

Database triggers run as the user whose change fired them (``current_user`` in the trigger
is that user, as in Bubble). Inside a run that is the run's user; outside one — a Data API
write made with a user's key, an edit in the admin — it is the request's user, which
``CurrentRequestMiddleware`` makes known without reading it until a trigger asks (DRF sets
the key's user on the request when it authenticates it).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from .engine.context import current_run

_request: ContextVar[HttpRequest | None] = ContextVar("bubble_current_request", default=None)


def current_actor() -> Any:
    """The user a change made now is made by; None when anonymous or unknown."""
    ctx = current_run()
    if ctx is not None:
        return ctx.actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


class CurrentRequestMiddleware:
    """Remembers the request being served, for ``current_actor``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
