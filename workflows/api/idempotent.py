"""``Idempotency-Key`` on every POST of the Workflow API, the Data API and the Scheduler
API: the views' part of ``workflows.idempotency`` (docs/api.md#idempotent-calls).

The key is claimed once the request is authenticated (a repeat is the same caller's), and
the answer kept once it is final — whatever the handler answered or raised, as the caller
saw it. A server fault (5xx) is not kept: its claim is dropped, so a retry runs; nor are
the answers given before anything ran (401, 403, 429).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from .. import idempotency
from ..models import IdempotentRequest
from .throttling import AddressRateThrottle

#: answers given before anything ran: a retry must be free to run
NOT_KEPT = frozenset({401, 403, 429})
REPLAYED = "Idempotent-Replayed"


def caller_key(request: Request) -> str:
    """Who a key belongs to: the credential (an API key, a user token, by its prefix),
    else the user, else the anonymous caller's address (cut to the column's length)."""
    credential = request.auth
    prefix = getattr(credential, "prefix", None)  # an API key's or a token's: unique, short
    if prefix:
        return f"{type(credential).__name__}:{prefix}"
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{AddressRateThrottle().get_ident(request) or ''}"[:150]


class IdempotentPosts:
    """Mixed into an ``APIView``: its POSTs honour ``Idempotency-Key``."""

    idempotent = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotent_claim: IdempotentRequest | None = None
        raw = request.headers.get(idempotency.HEADER)
        if raw is None or request.method != "POST" or not self.idempotent:
            return
        key = idempotency.checked_key(raw.strip())
        django_request = request._request
        print_ = idempotency.fingerprint(
            request.method,
            django_request.path,
            django_request.META.get("QUERY_STRING", ""),
            django_request.META.get("CONTENT_TYPE", ""),
            django_request.body,
        )
        row = idempotency.claim(caller_key(request), key, print_)
        if row.state == IdempotentRequest.State.DONE:
            answer = _replay(row)
            self.post = lambda *a, **k: answer  # the handler DRF calls next
        else:
            self._idempotent_claim = row

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        row = getattr(self, "_idempotent_claim", None)
        if row is None:
            return response
        self._idempotent_claim = None
        if response.status_code >= 500 or response.status_code in NOT_KEPT:
            idempotency.abandon(row)
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        headers = {h: response[h] for h in idempotency.KEPT_HEADERS if response.has_header(h)}
        idempotency.settle(
            row, response.status_code, response.get("Content-Type", ""), headers, response.content
        )
        return response

    def dispatch(self, request: Any, *args: Any, **kwargs: Any):
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        finally:  # an exception no handler answered (a 500): the claim goes
            row = getattr(self, "_idempotent_claim", None)
            if row is not None:
                idempotency.abandon(row)
                self._idempotent_claim = None


def _replay(row: IdempotentRequest) -> HttpResponse:
    answer = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type)
    for name, value in row.headers.items():
        answer[name] = value
    answer[REPLAYED] = "true"
    return answer
