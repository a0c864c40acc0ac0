"""Keys are accepted only in the ``Authorization`` header: a key in a URL is refused.

URLs end up in server access logs, proxy and CDN logs, browser history and ``Referer``
headers, so a key sent as ``?api_token=...`` (Bubble accepts that) is as good as published.
This middleware answers such requests 400 ``API_KEY_IN_URL`` before any view, throttle or
workflow runs. The rule (docs/security.md):

* a query parameter named ``api_token``, ``api_key``, ``apikey`` or ``access_token``
  (any case) with a non-empty value is always refused: these names mean a credential;
* any other query parameter (``key``, ``token``, ...) is refused only when its name or
  value has the shape of one of our keys (``<8-character prefix>.<32-character secret>``)
  or user tokens (``<12>.<40>``) and the prefix belongs to a stored one, so a workflow with
  a parameter called ``key`` or ``token`` keeps working.

An operator moving callers off Bubble that cannot change them yet may set
``BUBBLE_ALLOW_TOKEN_IN_URL``: then ``?api_token=<key or token>`` (Bubble's name, and only
that one) is taken as the ``Authorization`` header would be, and removed from the request
before anything reads or logs it (the query string and the raw URI the server logs).

400 rather than 401: the request is malformed, whether or not the key is valid (RFC 6750
§3.1 answers a token in the wrong place with ``invalid_request``, 400); a 401 would invite
the client to retry the same credentials and would hint at the key's validity.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import conf
from ..models import ApiKey, UserToken
from .authentication import is_token_prefix
from .errors import error_body

logger = logging.getLogger("workflows.api")

API_PREFIX = "/api/"
CREDENTIAL_NAMES = frozenset({"api_token", "api_key", "apikey", "access_token"})
KEY_SHAPE = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}|[A-Za-z0-9]{12}\.[A-Za-z0-9]{40}")
MESSAGE = (
    "API keys are accepted only in the Authorization header, never in the URL: URLs are kept "
    "in server, proxy and browser logs. Send 'Authorization: Bearer <key>' instead{advice}."
)


class KeyInUrlMiddleware:
    """Refuses requests under /api/ that carry an API key in the query string."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX) and request.META.get("QUERY_STRING"):
            if conf.get("ALLOW_TOKEN_IN_URL"):
                moved = _token_to_header(request)
                if moved is not None:
                    return moved
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            pairs = list(_pairs(request))
        except SuspiciousOperation:
            return None  # too many fields: the API answers that itself, in its error shape
        named = sorted(
            {name for name, value in pairs if name.lower() in CREDENTIAL_NAMES and value}
        )
        if named:
            logger.warning("refused %s: a credential in the query string (%s)", request.path, named)
            return _response(named[0], advice="")
        shaped = {t.strip(): name for name, value in pairs for t in (name, value) if _shaped(t)}
        prefixes = {text.partition(".")[0]: name for text, name in shaped.items()}
        found = sorted(_stored(prefixes))
        if not found:
            return None
        logger.warning(
            "refused %s: API key %s sent in the query string; consider it exposed",
            request.path,
            ", ".join(found),
        )
        return _response(prefixes[found[0]], advice=", and revoke this key: it is now exposed")


def _token_to_header(request: HttpRequest) -> HttpResponse | None:
    """``?api_token=`` as the ``Authorization`` header (``ALLOW_TOKEN_IN_URL``), gone from
    the query string and the raw URI (a WSGI server logs what the request holds when it
    ends: the same ``environ``). Both at once is refused: which one counts?"""
    meta = request.META
    pairs = parse_qsl(meta["QUERY_STRING"], keep_blank_values=True)
    tokens = [value for name, value in pairs if name == "api_token"]
    if not tokens:
        return None
    if len(tokens) > 1 or meta.get("HTTP_AUTHORIZATION"):
        body = error_body(
            "INVALID_REQUEST",
            "send one credential: api_token in the URL or the Authorization header, not both",
            http_status=400,
            parameter="api_token",
        )
        return JsonResponse(body, status=400)
    meta["HTTP_AUTHORIZATION"] = f"Bearer {tokens[0]}"
    kept = urlencode([(name, value) for name, value in pairs if name != "api_token"])
    meta["QUERY_STRING"] = kept
    for raw in ("RAW_URI", "REQUEST_URI"):
        if raw in meta:
            meta[raw] = meta[raw].split("?", 1)[0] + (f"?{kept}" if kept else "")
    request.__dict__.pop("GET", None)  # read again, from the query string without it
    return None


def _pairs(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for name, values in request.GET.lists():
        for value in values:
            yield name, value


def _stored(prefixes: Iterable[str]) -> list[str]:
    """The prefixes that belong to a stored API key or user token (by their length)."""
    keys = [p for p in prefixes if not is_token_prefix(p)]
    tokens = [p for p in prefixes if is_token_prefix(p)]
    found = list(ApiKey.objects.filter(prefix__in=keys).values_list("prefix", flat=True))
    if tokens:
        found += UserToken.objects.filter(prefix__in=tokens).values_list("prefix", flat=True)
    return found


def _shaped(text: str) -> bool:
    return KEY_SHAPE.fullmatch(text.strip()) is not None


def _response(parameter: str, *, advice: str) -> JsonResponse:
    body = error_body(
        "API_KEY_IN_URL", MESSAGE.format(advice=advice), http_status=400, parameter=parameter
    )
    return JsonResponse(body, status=400)
