"""Which version serves a request: the API is live; ``/version-test/`` is development.

``/version-test/api/...`` is the same API as ``/api/...`` (the prefix is taken off before
the URL is resolved, authentication and everything else alike), served by the development
version and marked as a test; ``/api/...`` is served by the live version as it is when
the request arrives, for the whole request. Other pages (the admin, the editor) work on
development and are not touched. See docs/versions.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from ..api.errors import error_body
from .edition import TEST, serving
from .serving import live

PREFIX = "/version-test"


class VersionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == PREFIX or path.startswith(PREFIX + "/"):
            rest = path[len(PREFIX) :]
            if not rest.startswith("/api/"):
                message = (
                    "only the API is under /version-test/ "
                    "(/version-test/api/1.1/wf/<name>, /version-test/api/1.1/obj/<type>)"
                )
                return JsonResponse(error_body("NOT_FOUND", message, http_status=404), status=404)
            request.path_info = rest
            request.path = request.path[: len(request.path) - len(path)] + rest
            request.version_test = True  # type: ignore[attr-defined]
            with serving(TEST):
                return self.get_response(request)
        if path.startswith("/api/"):
            with serving(live()):
                return self.get_response(request)
        return self.get_response(request)
