"""The Workflow API: ``/api/1.1/wf/<name>`` and ``/api/1.1/runs/<id>``.

Views only translate HTTP to the engine and back; what a workflow does lives in the engine,
who may call it in ``access``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import detect, engine, selectors, webhooks
from ..choices import ConditionNotMet, RunSource, RunStatus, WorkflowKind
from ..engine.cache import get_compiled
from ..engine.compiler import NAME_RE, CompiledWorkflow
from ..engine.context import Caller
from ..engine.serialize import MASK, to_log
from ..exceptions import (
    InvalidParameter,
    MissingParameter,
    NotBuilt,
    Unauthenticated,
    WorkflowNotFound,
)
from ..masking import run_scope
from ..models import Run, Workflow
from ..request_headers import shown_headers
from ..versions.edition import current as current_edition
from .access import require_access, require_workflow_scope, scoped_workflows
from .errors import PayloadTooLarge, error_response
from .idempotent import IdempotentPosts, keep_no_answer
from .params import request_params, said_where
from .params_serializer import validated_params
from .schema.components import error_responses
from .throttling import AddressRateThrottle


class LimitedBodyView(IdempotentPosts, APIView):
    """Refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before parsing them."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _is_streamed(request.META) and not _buffer_streamed_body(request._request, limit):
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit:,} bytes")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"the request body is {length:,} bytes; the limit is {limit:,}")
        super().initial(request, *args, **kwargs)


def _is_streamed(meta: Mapping[str, Any]) -> bool:
    """A body sent chunked, without Content-Length: Django (under WSGI) and DRF read none
    of it, so neither the limit above nor the parsers would see it."""
    encoding = meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    return not meta.get("CONTENT_LENGTH") and "chunked" in encoding


def _buffer_streamed_body(request: HttpRequest, limit: int | None) -> bool:
    """Read a streamed body, at most ``limit + 1`` bytes of it; False if it is over the limit.

    Within the limit, the body is kept in memory with its Content-Length, so the parsers
    (and a webhook's signature check) read it as if its length had been sent.
    """
    # WSGI: the server's decoded stream (Django's own is limited to Content-Length, i.e. 0);
    # ASGI: Django's spooled copy of the whole body
    stream = request.META.get("wsgi.input", request._stream)
    cap = None if limit is None else limit + 1
    chunks: list[bytes] = []
    size = 0
    while cap is None or size < cap:
        chunk = stream.read(65536 if cap is None else min(65536, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if limit is not None and size > limit:
        return False
    request._stream = io.BytesIO(b"".join(chunks))
    request.META["CONTENT_LENGTH"] = str(size)
    return True


class WorkflowView(LimitedBodyView):
    """Run an exposed API workflow; answers in Bubble's shape."""

    def get(self, request: Request, name: str) -> Response:
        return self._run(request, name)

    def post(self, request: Request, name: str) -> Response:
        return self._run(request, name)

    def check_repeat(self, request: Request, name: str) -> None:
        """A repeat's checks, as a first call's: the key's scope, the workflow's auth."""
        require_workflow_scope(request, name)
        require_access(selectors.exposed_workflow(name).auth, request.user)

    def _run(self, request: Request, name: str) -> Response:
        require_workflow_scope(request, name)
        workflow = selectors.exposed_workflow(name)
        webhooks.verify_webhook(workflow, request)  # the raw body, before anything parses it
        require_access(workflow.auth, request.user)
        compiled = workflow if isinstance(workflow, CompiledWorkflow) else get_compiled(workflow)
        # a signature covers the body only: a signed workflow reads nothing else
        query = QueryDict() if workflow.webhook else request.query_params
        raw = request_params(request.data, query, request.FILES, compiled.parameters)
        # one scope for the coercion and the run: the secret parameters' values the
        # serializer registers are masked in the run's log
        with run_scope():
            try:
                values = validated_params(compiled, raw, request.user)  # coerced once, here
            except MissingParameter as exc:
                raise said_where(exc, compiled.parameters) from None
            _require_built(compiled)  # after the parameters: a caller learns both
            extra = {"request": {"headers": shown_headers(request.headers)}}
            result = engine.run(
                compiled,
                values,
                request.user,
                source=RunSource.API,
                caller=caller_of(request),
                extra=extra if compiled.include_headers else None,
            )
            if _holds_secrets(result):  # a log-in's token: never kept for a repeat
                keep_no_answer(request)
        if result.run.status == RunStatus.CONDITION_NOT_MET:
            if compiled.condition_not_met == ConditionNotMet.OK_200:
                return _success({}, result.run.pk)
            return error_response(result.error, run=result.run.pk)
        if result.error is not None:
            response = error_response(result.error, run=result.run.pk)
            if getattr(result.error, "retry_after", 0):  # a throttled log-in
                response["Retry-After"] = str(result.error.retry_after)
            return response
        return _answer(result)


def _holds_secrets(result: Any) -> bool:
    """Whether the run's answer holds a credential it made (a log-in's token) or a value
    the run masks (a secret parameter, an operator secret, a temporary password): its log
    shows it masked."""
    return MASK in json.dumps(result.run.result, default=str)


def _require_built(compiled: CompiledWorkflow) -> None:
    """A workflow with no steps answers live callers that it is not built yet; at
    /version-test/ it runs, so its builder can try its parameters."""
    edition = current_edition()
    if compiled.actions or (edition is not None and edition.test):
        return
    raise NotBuilt(
        f"workflow {compiled.name!r} has no steps yet: it is not built (build it in the "
        "editor, try it at /version-test/, then deploy)"
    )


_DETECTED = {
    200: OpenApiResponse(
        inline_serializer(
            "DetectedResponse",
            {
                "status": serializers.ChoiceField(choices=["success"]),
                "response": serializers.DictField(),
            },
        ),
        "The request was kept for the builder; nothing ran.",
    ),
    **error_responses(
        [400, 404],
        {404: "NOT_FOUND: nobody is waiting for data (click Detect data in the admin first)."},
    ),
}
_DETECT_TEXT = (
    "While a builder waits for it in the admin (Detect data), the request is kept "
    "(credentials left out) and its parameters proposed; nothing runs (docs/api.md)."
)


def _detect_doc(method: str) -> Any:
    return extend_schema(
        operation_id=f"detect_data_{method}",
        summary="Detect data: send one request for the builder to read",
        description=_DETECT_TEXT
        + (" The query string's fields are read." if method == "get" else ""),
        request={"application/json": OpenApiTypes.OBJECT} if method == "post" else None,
        responses=_DETECTED,
        tags=["Detect data"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "name",
                {"type": "string", "pattern": NAME_RE.pattern},
                OpenApiParameter.PATH,
                description="The API workflow's name.",
            )
        ],
    )


@extend_schema_view(get=_detect_doc("get"), post=_detect_doc("post"))
class InitializeView(LimitedBodyView):
    """``/api/1.1/wf/<name>/initialize``: "Detect data". While a builder waits for it in the
    admin, the request is kept (credentials left out) and answered 200; nothing runs. Any
    other time there is nothing here (404)."""

    idempotent = False  # a captured request for the builder: nothing runs

    def get(self, request: Request, name: str) -> Response:
        return self._capture(request, name)

    def post(self, request: Request, name: str) -> Response:
        return self._capture(request, name)

    def _capture(self, request: Request, name: str) -> Response:
        workflow = Workflow.objects.filter(name=name, kind=WorkflowKind.API).first()
        body = request.data
        if not isinstance(body, Mapping):
            raise InvalidParameter("the body must be a JSON object (or form fields)")
        kept = workflow is not None and detect.capture(
            workflow,
            body=_plain(body),
            query=_plain(request.query_params),
            headers=dict(request.headers),
            files=list(request.FILES),
        )
        if not kept:
            raise WorkflowNotFound(
                f"nothing is waiting for data at {request.path}: click “Detect data” on the "
                "API workflow in the admin first"
            )
        return Response({"status": "success", "response": {}})


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form or query fields as JSON would send them: a repeated field as a list."""
    if isinstance(values, QueryDict):
        return {k: (v if len(v) > 1 else v[0]) for k, v in values.lists()}
    return dict(values)


class _RequestCaller(Caller):
    """A ``Caller`` whose address and site root are read from the request only if an
    action asks (the account actions): most runs never do, and reading them is a share of
    a short call."""

    def __init__(self, request: Request) -> None:
        # not the dataclass's __init__, which would set both to "" in the instance
        object.__setattr__(self, "credential", request.auth)
        object.__setattr__(self, "_request", request)

    @cached_property
    def address(self) -> str:  # type: ignore[override]
        return AddressRateThrottle().get_ident(self._request) or ""

    @cached_property
    def site_root(self) -> str:  # type: ignore[override]
        return self._request.build_absolute_uri("/")


def caller_of(request: Request) -> Caller:
    """What a run needs to know of its request: the credential it authenticated with (so
    ``log_user_out`` revokes that token), the client's address as the throttles see it
    (``NUM_PROXIES``), and the address it came to (for links in emails)."""
    return _RequestCaller(request)


class RunView(APIView):
    """A run the caller made: status, result and each step."""

    def get(self, request: Request, run_id: Any) -> Response:
        if not request.user.is_authenticated:
            raise Unauthenticated("send 'Authorization: Bearer <key>' to read your runs")
        run = selectors.run_for_caller(run_id, request.user)
        if (scope := scoped_workflows(request)) is not None and run.workflow_name not in scope:
            raise WorkflowNotFound(f"no run {run_id} made by you")  # outside the key's scope
        detail = bool(request.user.is_staff)
        return Response({"status": "success", "response": run_payload(run, steps_detail=detail)})


class NotFoundView(APIView):
    """Unknown paths under /api/1.1/, in the API's JSON error shape."""

    authentication_classes: list = []

    def handle(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise WorkflowNotFound(f"nothing at {request.path}")

    get = post = put = patch = delete = handle


def _answer(result: Any) -> HttpResponse:
    """The run's answer as its ``return_data`` chose: Bubble's JSON shape, a text, or a
    redirect (docs/api.md#success)."""
    if result.response_type == "text":
        answer = HttpResponse(result.response["text"], content_type=result.response["content_type"])
        # a builder's text on the admin's origin: never sniffed as something else, and
        # never a page whose scripts could reach this origin (an opaque origin)
        answer["X-Content-Type-Options"] = "nosniff"
        answer["Content-Security-Policy"] = "sandbox"
    elif result.response_type == "redirect":
        answer = HttpResponseRedirect(result.response["url"])
    else:
        return _success(result.response or {}, result.run.pk)
    answer["X-Run-Id"] = str(result.run.pk)
    return answer


def _success(data: Any, run_id: Any) -> Response:
    response = Response({"status": "success", "response": data})
    response["X-Run-Id"] = str(run_id)
    return response


def run_payload(run: Run, *, steps_detail: bool = True) -> dict[str, Any]:
    """A run as ``GET /api/1.1/runs/<id>`` shows it.

    Without ``steps_detail`` (callers who are not staff) each step's ``inputs`` and
    ``output`` are null: they hold what the workflow read and did on the caller's behalf —
    an email body with a verification code, fields privacy rules hide from the caller,
    data a workflow that ignores privacy rules reached — not what the caller was given.
    """
    return {
        "id": str(run.pk),
        "workflow": run.workflow_name,
        "status": run.status,
        "source": run.source,
        "depth": run.depth,
        "parent": str(run.parent_id) if run.parent_id else None,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_ms": run.duration_ms,
        "params": run.params,
        "result": to_log(run.result),
        "error": (
            {
                "code": run.error_code,
                "message": run.error_message,
                "parameter": run.error_parameter or None,
            }
            if run.error_code
            else None
        ),
        "steps": [
            {
                "position": step.position,
                "id": step.step_id or None,
                "type": step.action_type,
                "label": step.label,
                "status": step.status,
                "condition_result": step.condition_result,
                "inputs": step.inputs if steps_detail else None,
                "output": step.output if steps_detail else None,
                "error": step.error or None,
                "duration_ms": step.duration_ms,
            }
            for step in run.steps.all()
        ],
    }
