"""The fixed endpoints in the document: runs, and the key scheme.

Described from here (drf-spectacular view extensions) so the views stay as they are. Other
apps describe theirs next to their views the same way, with ``replaced`` and
``id_parameter`` (the scheduler: ``scheduler.api.schema``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from .components import RunResponseSerializer, error_responses

BEARER_SCHEME = "bearerAuth"
BEARER = [{BEARER_SCHEME: []}]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <key>`` (the scheme is declared in SPECTACULAR_SETTINGS)."""

    target_class = "workflows.api.authentication.ApiKeyAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return spectacular_settings.APPEND_COMPONENTS["securitySchemes"][BEARER_SCHEME]


def id_parameter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=what)


def replaced(target: type, method: str, **schema: Any) -> type:
    """A subclass of ``target`` whose ``method`` carries ``extend_schema(**schema)``."""
    handler = getattr(target, method)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return handler(self, *args, **kwargs)  # pragma: no cover - never served

    decorated = extend_schema(auth=BEARER, **schema)(wrapper)
    return type(target.__name__, (target,), {method: decorated})


class RunViewSchema(OpenApiViewExtension):
    target_class = "workflows.api.views.RunView"

    def view_replacement(self) -> type:
        return replaced(
            self.target_class,
            "get",
            operation_id="run_get",
            tags=["runs"],
            summary="Get one of your runs",
            description="Its status, result and every step. Only runs made as the key's user.",
            parameters=[id_parameter("run_id", "The run's id (the X-Run-Id header of a call).")],
            responses={200: RunResponseSerializer, **error_responses((401, 404, 429))},
        )
