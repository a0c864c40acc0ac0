"""Every API error in one JSON shape, which both kinds of client can read: ours,
``{"status": "error", "code", "message", ...}``, and Bubble's, ``{"statusCode": <HTTP
status>, "body": {"status": <Bubble's code>, "message"}}``, in the same object
(docs/api.md#errors maps every code of ours to Bubble's)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..exceptions import WorkflowError

logger = logging.getLogger("workflows.api")

_DRF_CODES: list[tuple[type[Exception], str]] = [
    (exceptions.NotAuthenticated, "UNAUTHENTICATED"),
    (exceptions.AuthenticationFailed, "UNAUTHENTICATED"),
    (exceptions.PermissionDenied, "FORBIDDEN"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (exceptions.NotAcceptable, "NOT_ACCEPTABLE"),
    (exceptions.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
    (exceptions.Throttled, "TOO_MANY_REQUESTS"),
    (exceptions.ParseError, "INVALID_REQUEST"),
    (exceptions.ValidationError, "INVALID_REQUEST"),
]


#: our code → Bubble's ``body.status`` (Bubble's manual: MISSING_DATA for a missing
#: parameter, NOT_RUN when the workflow's condition is not met, UNAUTHORIZED, NOT_FOUND,
#: INVALID_DATA for a value that does not fit); any other code is Bubble's ``ERROR``
BUBBLE_CODES: dict[str, str] = {
    "MISSING_PARAMETER": "MISSING_DATA",
    "INVALID_PARAMETER": "INVALID_DATA",
    "INVALID_DATA": "INVALID_DATA",
    "INVALID_REQUEST": "INVALID_DATA",
    "CONDITION_NOT_MET": "NOT_RUN",
    "UNAUTHENTICATED": "UNAUTHORIZED",
    "FORBIDDEN": "UNAUTHORIZED",
    "API_KEY_IN_URL": "UNAUTHORIZED",
    "NOT_FOUND": "NOT_FOUND",
}


def bubble_code(code: str) -> str:
    """Bubble's name for one of our error codes."""
    return BUBBLE_CODES.get(code, "ERROR")


class PayloadTooLarge(WorkflowError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


def error_body(
    code: str,
    message: str,
    *,
    http_status: int,
    parameter: str | None = None,
    run: Any = None,
) -> dict:
    """The error object every API error answers with (``http_status`` is the response's)."""
    body: dict[str, Any] = {"status": "error", "code": code, "message": message}
    if parameter:
        body["parameter"] = parameter
    if run is not None:
        body["run"] = str(run)
    body["statusCode"] = http_status
    body["body"] = {"status": bubble_code(code), "message": message}
    return body


def error_response(
    error: WorkflowError, *, run: Any = None, http_status: int | None = None
) -> Response:
    http_status = http_status or error.http_status
    response = Response(
        error_body(
            error.code,
            error.message,
            http_status=http_status,
            parameter=error.parameter,
            run=run,
        ),
        status=http_status,
    )
    if run is not None:
        response["X-Run-Id"] = str(run)
    if response.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: workflow errors, DRF errors and crashes alike."""
    if isinstance(exc, WorkflowError):
        return error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("PAYLOAD_TOO_LARGE", "the request body is too large", http_status=413),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):  # e.g. more than 1,000 form or query fields
        return Response(
            error_body("INVALID_REQUEST", f"the request was refused: {exc}", http_status=400),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "permission denied")
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
        code = code or str(getattr(exc, "default_code", "error")).upper()
        response = Response(
            error_body(code, _message(exc), http_status=exc.status_code), status=exc.status_code
        )
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        return response
    logger.exception("unhandled error in %s", context.get("view"))
    return Response(
        error_body("SERVER_ERROR", "internal server error", http_status=500),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _message(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return _flatten(detail)


def _flatten(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    return str(detail)
