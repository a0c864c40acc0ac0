"""A NUL character (``%00``) in an API URL is refused with 400, before any view.

PostgreSQL can neither store nor compare text holding U+0000: a workflow name, a filter or
a search constraint carrying one would reach a query and fail there with a 500 (found by
fuzzing the OpenAPI document). Bodies are checked where their text is read (parameter
coercion, the Data API's fields and constraints).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import error_body

API_PREFIX = "/api/"


class NulInUrlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX) and _has_nul(request):
            body = error_body(
                "INVALID_REQUEST", "the URL may not contain NUL (%00) characters", http_status=400
            )
            return JsonResponse(body, status=400)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or "%00" in query or "\x00" in query
