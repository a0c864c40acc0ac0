"""The fixed endpoints in the document: runs and scheduled runs, and the key scheme.

Described from here (drf-spectacular view extensions) so the views stay as they are.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from scheduler.models import Status as ScheduledStatus

from .components import (
    RunResponseSerializer,
    ScheduledRunListSerializer,
    ScheduledRunResponseSerializer,
    error_responses,
)

BEARER_SCHEME = "bearerAuth"
BEARER = [{BEARER_SCHEME: []}]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <key>`` (the scheme is declared in SPECTACULAR_SETTINGS)."""

    target_class = "workflows.api.authentication.ApiKeyAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return spectacular_settings.APPEND_COMPONENTS["securitySchemes"][BEARER_SCHEME]


def _id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=what)


def _replaced(target: type, method: str, **schema: Any) -> type:
    """A subclass of ``target`` whose ``method`` carries ``extend_schema(**schema)``."""
    handler = getattr(target, method)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return handler(self, *args, **kwargs)  # pragma: no cover - never served

    decorated = extend_schema(auth=BEARER, **schema)(wrapper)
    return type(target.__name__, (target,), {method: decorated})


class RunViewSchema(OpenApiViewExtension):
    target_class = "workflows.api.views.RunView"

    def view_replacement(self) -> type:
        return _replaced(
            self.target_class,
            "get",
            operation_id="run_get",
            tags=["runs"],
            summary="Get one of your runs",
            description="Its status, result and every step. Only runs made as the key's user.",
            parameters=[_id("run_id", "The run's id (the X-Run-Id header of a call).")],
            responses={200: RunResponseSerializer, **error_responses((401, 404, 429))},
        )


class ScheduledListSchema(OpenApiViewExtension):
    target_class = "scheduler.api.views.ScheduledListView"

    def view_replacement(self) -> type:
        return _replaced(
            self.target_class,
            "get",
            operation_id="scheduled_list",
            tags=["scheduler"],
            summary="List scheduled runs",
            description="The runs you scheduled (staff: all), soonest first.",
            parameters=[
                OpenApiParameter("workflow", str, description="Only this workflow's runs."),
                OpenApiParameter(
                    "status",
                    str,
                    description="Only these statuses, comma-separated: "
                    + ", ".join(ScheduledStatus.values),
                ),
                OpenApiParameter(
                    "due_after", OpenApiTypes.DATETIME, description="Due at or after."
                ),
                OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="Due before."),
                OpenApiParameter("cursor", {"type": "integer", "minimum": 0, "maximum": 10**9}),
                OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
            ],
            responses={200: ScheduledRunListSerializer, **error_responses((400, 401, 429))},
        )


class ScheduledDetailSchema(OpenApiViewExtension):
    target_class = "scheduler.api.views.ScheduledDetailView"

    def view_replacement(self) -> type:
        return _replaced(
            self.target_class,
            "get",
            operation_id="scheduled_get",
            tags=["scheduler"],
            summary="Get a scheduled run",
            parameters=[_id("id", "The scheduled run's id.")],
            responses={200: ScheduledRunResponseSerializer, **error_responses((401, 404, 429))},
        )


class ScheduledCancelSchema(OpenApiViewExtension):
    target_class = "scheduler.api.views.ScheduledCancelView"

    def view_replacement(self) -> type:
        return _replaced(
            self.target_class,
            "post",
            operation_id="scheduled_cancel",
            tags=["scheduler"],
            summary="Cancel a scheduled run",
            description="Only a run that has not started yet can be cancelled.",
            parameters=[_id("id", "The scheduled run's id.")],
            request=None,
            responses={
                200: OpenApiResponse(ScheduledRunResponseSerializer, "Cancelled."),
                **error_responses((401, 404, 409, 429)),
            },
        )
