"""Serving the document: ``/api/schema/`` (YAML or JSON) and Bubble's
``/api/1.1/meta/swagger.json``, both from the cache; ``/api/docs/`` is drf-spectacular's
Swagger UI, served from drf-spectacular-sidecar's static files (no CDN).

Whom it is for decides its Data API part (``privacy.audience``): no credential, an API key
or user token (``Authorization: Bearer``), or the admin's session (Swagger UI opened by a
logged-in staff member fetches the document with the session's cookie).
"""

from __future__ import annotations

from typing import Any

from django.utils.cache import patch_vary_headers
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from ...privacy.audience import audience_of
from ...versions.middleware import PREFIX
from ..authentication import ApiKeyAuthentication
from .cache import cached_document
from .hooks import describing

#: the document of development (/version-test/api/schema/) sends calls to development
TEST_SERVER = {"url": "/version-test", "description": "development (docs/versions.md)"}


class SchemaView(SpectacularAPIView):
    """The OpenAPI document for the caller's class, generated when what it describes
    changed, else served again.

    YAML by default; JSON with ``?format=json`` or ``Accept: application/json``.
    """

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]

    def _get_schema_response(self, request: Request) -> Response:
        audience = audience_of(request.user)

        def generate() -> dict[str, Any]:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            with describing(audience):
                return generator.get_schema(request=None, public=self.serve_public)

        document = cached_document(audience, generate)
        if getattr(request._request, "version_test", False):
            # development's document: "Try it out" and generated clients call development
            document = {**document, "servers": [TEST_SERVER]}
        response = Response(
            data=document,
            headers={"Content-Disposition": f'inline; filename="{self._filename(request)}"'},
        )
        # one document per class of caller: a shared cache must not hand one to another
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response

    def _filename(self, request: Request) -> str:
        return f"openapi.{self.perform_content_negotiation(request, force=True)[0].format}"


class SchemaJSONView(SchemaView):
    """The same document in JSON only, where Bubble serves it (``/api/1.1/meta/swagger.json``)."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2]


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI over the document of the version it is opened under: at
    /version-test/api/docs/ it reads (and tries out) development."""

    def _get_schema_url(self, request: Any) -> str:
        url = super()._get_schema_url(request)
        if getattr(request._request, "version_test", False) and url.startswith("/"):
            return PREFIX + url
        return url
