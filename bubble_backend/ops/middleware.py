"""Answers ``/healthz``, ``/readyz`` and ``/metrics`` first, before the rest of the
middleware: probes and scrapers call a server by its address (not a name in
``ALLOWED_HOSTS``), over plain http inside the network (no redirect to https), and need no
session, user or data model. Only these exact paths; everything else goes on as usual."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import health, metrics

ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": health.healthz_view,
    "/readyz": health.readyz_view,
    "/metrics": metrics.metrics_view,
}


class OpsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, content_type="text/plain; charset=utf-8")
            response["Allow"] = "GET, HEAD"
            return response
        response = view(request)
        response["Cache-Control"] = "no-store"
        return response
