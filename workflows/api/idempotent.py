"""``Idempotency-Key`` on every POST of the Workflow API, the Data API and the Scheduler
API: the views' part of ``workflows.idempotency`` (docs/api.md#idempotent-calls).

The key is claimed once the request is authenticated (a repeat is the same caller's), and
the answer kept once it is final — whatever the handler answered or raised, as the caller
saw it — including a failed run's (500 with its ``X-Run-Id``: its earlier steps may have
done their work, and a retry must not do it twice). Not kept, so that a retry runs: a
server fault before any run started, the answers given before anything ran (401, 403,
404, 405, 429), an answer holding a secret (a log-in's token: ``keep_no_answer``), and
one over ``MAX_KEPT_BODY``. A repeat passes the view's own access checks again
(``check_repeat``) before it gets the answer.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from .. import idempotency
from ..models import IdempotentRequest
from .throttling import AddressRateThrottle

#: answers given before anything ran: a retry must be free to run
NOT_KEPT = frozenset({401, 403, 404, 405, 429})
REPLAYED = "Idempotent-Replayed"
#: the largest answer kept for repeats (bytes); a larger one is not kept
MAX_KEPT_BODY = 1024 * 1024
_NO_ANSWER = "_idempotency_no_answer"


def keep_no_answer(request: Request) -> None:
    """This request's answer holds a secret (a user token, a temporary password): it is
    not stored for repeats, which then run again."""
    setattr(request._request, _NO_ANSWER, True)


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
        if not hasattr(self, "post"):
            return  # answered 405: nothing to keep
        key = idempotency.checked_key(raw.strip())
        row = idempotency.claim(caller_key(request), key, _fingerprint(request._request))
        if row.state == IdempotentRequest.State.DONE:
            self.check_repeat(request, *args, **kwargs)
            answer = _replay(row)
            self.post = lambda *a, **k: answer  # the handler DRF calls next
        else:
            self._idempotent_claim = row

    def check_repeat(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """The view's own access checks, run again before a repeat gets its answer (a key
        narrowed since to other workflows no longer reaches this one's)."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        row = getattr(self, "_idempotent_claim", None)
        if row is None:
            return response
        status = response.status_code
        ran = response.has_header("X-Run-Id")
        if (
            status in NOT_KEPT
            or (status >= 500 and not ran)
            or getattr(request._request, _NO_ANSWER, False)
        ):
            return response  # dispatch's end drops the claim
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        if len(response.content) > MAX_KEPT_BODY:
            return response
        headers = {h: response[h] for h in idempotency.KEPT_HEADERS if response.has_header(h)}
        idempotency.settle(row, status, response.get("Content-Type", ""), headers, response.content)
        self._idempotent_claim = None  # settled: dispatch's end leaves it
        return response

    def dispatch(self, request: Any, *args: Any, **kwargs: Any):
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        finally:  # not settled (not kept, or an exception no handler answered): it goes
            row = getattr(self, "_idempotent_claim", None)
            if row is not None:
                idempotency.abandon(row)
                self._idempotent_claim = None


def _fingerprint(request: Any) -> str:
    """The request's fingerprint; a multipart body's boundary (chosen anew by each client
    that builds the form again) stands as one word, so a retried upload is the same."""
    content_type = request.META.get("CONTENT_TYPE", "")
    body = request.body
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type)
    if content_type.startswith("multipart/") and boundary:
        body = body.replace(boundary.group(1).encode("latin-1"), b"BOUNDARY")
        content_type = content_type.replace(boundary.group(1), "BOUNDARY")
    return idempotency.fingerprint(
        request.method, request.path, request.META.get("QUERY_STRING", ""), content_type, body
    )


def _replay(row: IdempotentRequest) -> HttpResponse:
    answer = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type)
    for name, value in row.headers.items():
        answer[name] = value
    answer[REPLAYED] = "true"
    return answer
