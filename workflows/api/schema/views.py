"""Serving the document: ``/api/schema/`` (YAML or JSON) and Bubble's
``/api/1.1/meta/swagger.json``, both from the cache; ``/api/docs/`` is drf-spectacular's
Swagger UI, served from drf-spectacular-sidecar's static files (no CDN)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from .cache import cached_document


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, generated when the workflows changed, else served again.

    YAML by default; JSON with ``?format=json`` or ``Accept: application/json``.
    """

    def _get_schema_response(self, request: Request) -> Response:
        def generate() -> dict[str, Any]:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            return generator.get_schema(request=None, public=self.serve_public)

        return Response(
            data=cached_document(generate),
            headers={"Content-Disposition": f'inline; filename="{self._filename(request)}"'},
        )

    def _filename(self, request: Request) -> str:
        return f"openapi.{self.perform_content_negotiation(request, force=True)[0].format}"


class SchemaJSONView(SchemaView):
    """The same document in JSON only, where Bubble serves it (``/api/1.1/meta/swagger.json``)."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2]
