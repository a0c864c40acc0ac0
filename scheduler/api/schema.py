"""The Scheduler API in the OpenAPI document: schedule a workflow, list, read and cancel
scheduled runs.

Described here, next to the views, and added to the workflows' document through its
extension points (``workflows.api.schema.registry``) when the app loads (``apps``):
``POST /api/1.1/wf/<name>/schedule`` becomes one operation per exposed workflow, the fixed
endpoints are drf-spectacular view extensions (registered by importing this module). The
shapes are serializers only to be described; the views build the bodies themselves
(``execution.describe``), and the schema tests check the two agree.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from workflows.api.params_serializer import is_required
from workflows.api.schema import registry
from workflows.api.schema.components import error_responses, register_file_contents
from workflows.api.schema.endpoints import id_parameter, replaced
from workflows.api.schema.workflows import WorkflowSchema
from workflows.engine.param_types import DATE_EXPECTED

from ..models import Status
from .views import (
    MAX_LIMIT,
    ScheduledCancelView,
    ScheduledDetailView,
    ScheduledListView,
    ScheduleView,
)

#: the date filters, as every date is read (docs/api.md#dates)
_A_DATE = f"this moment ({DATE_EXPECTED})."

NOT_CANCELLABLE = "NOT_CANCELLABLE: the scheduled run has started or ended."


class ScheduledRunSerializer(serializers.Serializer):
    """A scheduled run (``scheduler.execution.describe``)."""

    id = serializers.UUIDField()
    workflow = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.values)
    due_at = serializers.DateTimeField()
    time_zone = serializers.CharField(
        allow_blank=True,
        help_text="The IANA time zone it runs in; empty: its workflow's, else the server's.",
    )
    params = serializers.DictField(help_text="The parameters it will run with (secrets masked).")
    attempts = serializers.IntegerField()
    run = serializers.UUIDField(allow_null=True, help_text="The run it made, once it ran.")
    error = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "ScheduledRun"


class ScheduledRunResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success"])
    response = ScheduledRunSerializer()

    class Meta:
        ref_name = "ScheduledRunResponse"


class ScheduledRunPageSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Where this page starts.")
    results = ScheduledRunSerializer(many=True)
    count = serializers.IntegerField(help_text="How many are in this page.")
    remaining = serializers.IntegerField(help_text="How many come after this page.")

    class Meta:
        ref_name = "ScheduledRunPage"


class ScheduledRunListSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success"])
    response = ScheduledRunPageSerializer()

    class Meta:
        ref_name = "ScheduledRunList"


class ScheduledRunCreatedSerializer(serializers.Serializer):
    """What scheduling a workflow answers (201)."""

    id = serializers.UUIDField(help_text="The scheduled run's id: cancel it with this.")
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Status.values)

    class Meta:
        ref_name = "ScheduledRunCreated"


#: the components and operation ids of the fixed endpoints below
COMPONENTS = (
    "ScheduledRun",
    "ScheduledRunResponse",
    "ScheduledRunPage",
    "ScheduledRunList",
    "ScheduledRunCreated",
)
OPERATIONS = ("scheduled_list", "scheduled_get", "scheduled_cancel")


class WorkflowScheduleSchema(WorkflowSchema):
    """``POST /api/1.1/wf/<name>/schedule``: ``{"at", "params"}`` → 201 the scheduled run."""

    def get_operation_id(self) -> str:
        return f"{self.doc.operation}_schedule"

    def get_summary(self) -> str:
        return f"Schedule {self.compiled.name}"

    def get_description(self) -> str:
        return "\n\n".join(
            [
                f"Run {self.compiled.name} later, as the key's user; a time in the past runs "
                "at once. Parameters are checked now, as the run will see them.",
                *self.notes(),
            ]
        )

    def get_request_serializer(self) -> Any:
        if self.doc.has_files:
            register_file_contents(self.registry)
        if self._body is None:  # one class per operation: the component is named after it
            self._body = {"application/json": self._schedule_serializer()}
        return self._body

    _body: dict[str, Any] | None = None

    def _schedule_serializer(self) -> type[serializers.Serializer]:
        params = self.doc.params_serializer()
        required = any(is_required(spec) for spec in self.compiled.parameters)
        fields = {
            "at": serializers.DateTimeField(
                required=False,
                help_text=f"When to run ({DATE_EXPECTED}); default: now.",
            ),
            "params": params(required=required, help_text="The workflow's parameters."),
            "time_zone": serializers.CharField(
                required=False,
                allow_blank=True,
                help_text="The IANA time zone it runs in (Europe/Paris): `at` and dates "
                "without a zone are read there, and the run shows dates and counts days "
                "there. Default (absent or empty): the workflow's time zone, else the "
                "server's.",
            ),
        }
        return type(f"{self.doc.component}Schedule", (serializers.Serializer,), fields)

    def get_response_serializers(self) -> dict[int, Any]:
        return {
            201: OpenApiResponse(ScheduledRunCreatedSerializer, "Scheduled."),
            **error_responses(self.error_statuses()),
        }


#: ``/api/1.1/wf/<name>/schedule``, once per exposed workflow
SCHEDULE_OPERATION = registry.WorkflowOperation(
    suffix="/schedule",
    schema=WorkflowScheduleSchema,
    operation_suffixes=("_schedule",),
    component_suffixes=("ScheduleRequest",),  # the body: "<Workflow>Schedule", as a request
)


class ScheduledListSchema(OpenApiViewExtension):
    target_class = ScheduledListView

    def view_replacement(self) -> type:
        return replaced(
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
                    description="Only these statuses, comma-separated: " + ", ".join(Status.values),
                ),
                OpenApiParameter(
                    "due_after", OpenApiTypes.DATETIME, description=f"Due at or after {_A_DATE}"
                ),
                OpenApiParameter(
                    "due_before", OpenApiTypes.DATETIME, description=f"Due before {_A_DATE}"
                ),
                OpenApiParameter("cursor", {"type": "integer", "minimum": 0, "maximum": 10**9}),
                OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            ],
            responses={200: ScheduledRunListSerializer, **error_responses((400, 401, 429))},
        )


class ScheduledDetailSchema(OpenApiViewExtension):
    target_class = ScheduledDetailView

    def view_replacement(self) -> type:
        return replaced(
            self.target_class,
            "get",
            operation_id="scheduled_get",
            tags=["scheduler"],
            summary="Get a scheduled run",
            parameters=[id_parameter("id", "The scheduled run's id.")],
            responses={200: ScheduledRunResponseSerializer, **error_responses((401, 404, 429))},
        )


class ScheduledCancelSchema(OpenApiViewExtension):
    target_class = ScheduledCancelView

    def view_replacement(self) -> type:
        return replaced(
            self.target_class,
            "post",
            operation_id="scheduled_cancel",
            tags=["scheduler"],
            summary="Cancel a scheduled run",
            description="Only a run that has not started yet can be cancelled.",
            parameters=[id_parameter("id", "The scheduled run's id.")],
            request=None,
            responses={
                200: OpenApiResponse(ScheduledRunResponseSerializer, "Cancelled."),
                **error_responses((401, 404, 409, 429), {409: NOT_CANCELLABLE}),
            },
        )


def register() -> None:
    """Add the Scheduler API to the workflows' document (``apps.ready``; idempotent)."""
    registry.add_workflow_operation(ScheduleView, SCHEDULE_OPERATION)
    registry.reserve_names(components=COMPONENTS, operations=OPERATIONS)
