"""The document's fixed shapes: the error body and runs; and error responses.

They are serializers only to be described (drf-spectacular turns each into a component);
the views build these bodies themselves (``errors.error_body``, ``views.run_payload``), and
the schema tests check the two agree. Other apps describe their own shapes the same way,
next to their views, with ``error_responses`` and ``register`` from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from ...choices import RunSource, RunStatus, StepStatus
from ...engine.param_types import FILE_CONTENTS_COMPONENT
from ..params_serializer import FILE_CONTENTS_SCHEMA

ERROR_CODES = (
    "MISSING_PARAMETER, INVALID_PARAMETER, NOT_FOUND, UNAUTHENTICATED, FORBIDDEN, "
    "CONDITION_NOT_MET, WORKFLOW_ERROR, TIMEOUT, PAYLOAD_TOO_LARGE, TOO_MANY_REQUESTS, ..."
)


class BubbleErrorBodySerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="Bubble's code: MISSING_DATA, INVALID_DATA, NOT_RUN, UNAUTHORIZED, "
        "NOT_FOUND or ERROR (docs/api.md#errors)."
    )
    message = serializers.CharField(help_text="The same message as `message`.")

    class Meta:
        ref_name = "BubbleErrorBody"


class ErrorSerializer(serializers.Serializer):
    """Every error, whatever its cause: ``{"status": "error", "code", "message", ...}``,
    with Bubble's ``statusCode`` and ``body`` in the same object for Bubble's clients."""

    status = serializers.ChoiceField(choices=["error"])
    code = serializers.CharField(help_text=f"What went wrong: {ERROR_CODES}")
    message = serializers.CharField(help_text="For people: what went wrong, and often why.")
    parameter = serializers.CharField(
        required=False, help_text="The parameter (or query parameter) at fault, if one is."
    )
    run = serializers.UUIDField(
        required=False, help_text="The run's id, when a run was started (also in X-Run-Id)."
    )
    statusCode = serializers.IntegerField(help_text="The HTTP status, as Bubble sends it.")  # noqa: N815
    body = BubbleErrorBodySerializer(help_text="The error as Bubble shapes it.")

    class Meta:
        ref_name = "Error"


class RunErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    parameter = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "RunError"


class RunStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    id = serializers.CharField(allow_null=True, help_text="The step's id, if it has one.")
    type = serializers.CharField(help_text="The action type.")
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=StepStatus.values)
    condition_result = serializers.BooleanField(allow_null=True)
    inputs = serializers.JSONField(allow_null=True)
    output = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    duration_ms = serializers.FloatField(allow_null=True)

    class Meta:
        ref_name = "RunStep"


class RunSerializer(serializers.Serializer):
    """A run as the run log keeps it (``views.run_payload``)."""

    id = serializers.UUIDField()
    workflow = serializers.CharField()
    status = serializers.ChoiceField(choices=RunStatus.values)
    source = serializers.ChoiceField(choices=RunSource.values)
    depth = serializers.IntegerField()
    parent = serializers.UUIDField(allow_null=True)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.FloatField(allow_null=True)
    params = serializers.DictField()
    result = serializers.JSONField(allow_null=True)
    error = RunErrorSerializer(allow_null=True)
    steps = RunStepSerializer(many=True)

    class Meta:
        ref_name = "Run"


class RunResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success"])
    response = RunSerializer()

    class Meta:
        ref_name = "RunResponse"


_ERRORS: dict[int, str] = {
    400: "A missing or invalid parameter (MISSING_PARAMETER, INVALID_PARAMETER, NOT_FOUND "
    "for an unknown thing id, with `parameter`), CONDITION_NOT_MET, or a body that cannot "
    "be read (INVALID_REQUEST).",
    401: "UNAUTHENTICATED: no API key where one is needed, or a malformed, unknown, "
    "revoked or expired one.",
    403: "FORBIDDEN: the key's user may not do this, or it is outside the key's scope.",
    404: "NOT_FOUND: nothing here, or nothing the caller may see.",
    413: "PAYLOAD_TOO_LARGE: the body is over the server's limit.",
    429: "TOO_MANY_REQUESTS: over the key's or the address's rate; retry after the "
    "`Retry-After` header's seconds.",
    500: "The run failed (WORKFLOW_ERROR, TIMEOUT, ...): nothing it did was kept (unless "
    "its workflow saves changes after each step: then the steps that had ended were); "
    "`run` names the run, whose log says which step failed.",
}


def error_responses(
    statuses: Iterable[int], descriptions: Mapping[int, str] | None = None
) -> dict[int, OpenApiResponse]:
    """Responses in the error shape for these statuses (``descriptions``: an endpoint's own
    words for a status, such as another app's 409)."""
    described = {**_ERRORS, **(descriptions or {})}
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=described[status])
        for status in statuses
    }


def register(registry: Any, name: str, schema: dict[str, Any]) -> dict[str, str]:
    """Add a hand-built component (once) and return a reference to it."""
    component = ResolvedComponent(
        name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
    )
    registry.register_on_missing(component)
    return component.ref


def register_file_contents(registry: Any) -> dict[str, str]:
    return register(registry, FILE_CONTENTS_COMPONENT, FILE_CONTENTS_SCHEMA)
