"""The Scheduler API: schedule a workflow, list, read and cancel scheduled runs.

``POST /api/1.1/wf/<name>/schedule`` follows the workflow's own access rules (exposed, its
``auth``); the rest needs a key: a caller sees and cancels the runs it scheduled, staff
see and cancel all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows import selectors
from workflows.api.access import require_access, require_workflow_scope, scoped_workflows
from workflows.api.idempotent import IdempotentPosts
from workflows.api.params import request_params, said_where
from workflows.api.params_serializer import validated_params
from workflows.api.views import LimitedBodyView
from workflows.engine.cache import get_compiled
from workflows.engine.params import parse_date
from workflows.exceptions import (
    Forbidden,
    InvalidParameter,
    MissingParameter,
    Unauthenticated,
    WorkflowError,
)

from .. import services
from ..execution import describe
from ..models import ScheduledRun, Status, named

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class NotCancellable(WorkflowError):
    code = "NOT_CANCELLABLE"
    http_status = 409


class ScheduledRunNotFound(WorkflowError):
    code = "NOT_FOUND"
    http_status = 404


class ScheduleView(LimitedBodyView):
    """``POST /api/1.1/wf/<name>/schedule`` ``{"at": a date, "params": {...},
    "time_zone": "Europe/Paris"}`` → 201."""

    def check_repeat(self, request: Request, name: str) -> None:
        require_workflow_scope(request, name)

    def post(self, request: Request, name: str) -> Response:
        require_workflow_scope(request, name)
        workflow = selectors.exposed_workflow(name)
        if workflow.webhook:
            # its signature covers a webhook's body, not {at, params}: scheduling it would
            # run it with whatever parameters an unsigned caller chose
            raise Forbidden(f"{name!r} accepts only signed webhook calls; it cannot be scheduled")
        require_access(workflow.auth, request.user)
        compiled = get_compiled(workflow)
        data = request.data
        given = data.get if hasattr(data, "get") else lambda key: None
        structured = isinstance(data, dict) and isinstance(data.get("params"), dict)
        # in a flat body (form fields), a parameter named time_zone is the parameter
        own = structured or all(spec.key != "time_zone" for spec in compiled.parameters)
        zone = services.checked_time_zone(given("time_zone") if own else None)
        from_url = False  # the run's own way of reading (querystring parameters)
        if structured:
            raw = data["params"]
        elif isinstance(data, dict) and data.get("params") is not None:
            raise InvalidParameter("params: must be an object of parameter names to values")
        else:
            raw = request_params(data, request.query_params, request.FILES, compiled.parameters)
            from_url = True
        # dates written without a zone are read in the run's (its own, else its workflow's)
        with timezone.override(zone or compiled.time_zone or None):
            at = _moment(given("at"), "at")
            # the workflow's own serializer (the one the schema shows), as the run sees them
            try:
                values = validated_params(compiled, raw, request.user, time_zone=zone)
            except MissingParameter as exc:
                if not from_url:
                    raise
                raise said_where(exc, compiled.parameters) from None
        row = services.schedule(
            workflow,
            services.storable(compiled, values.values),
            at,
            actor=request.user,
            origin="api",
            validated=True,
            time_zone=zone,
        )
        return Response(
            {"id": str(row.pk), "due_at": row.due_at.isoformat(), "status": row.status},
            status=201,
        )


class _CallerView(IdempotentPosts, APIView):
    def visible(self, request: Request) -> QuerySet[ScheduledRun]:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            raise Unauthenticated("send 'Authorization: Bearer <key>' to see scheduled runs")
        runs = ScheduledRun.objects.select_related("workflow")
        if (scope := scoped_workflows(request)) is not None:
            runs = runs.filter(named(scope))
        return runs if user.is_staff else runs.filter(actor=user)

    def get_row(self, request: Request, pk: Any) -> ScheduledRun:
        row = self.visible(request).filter(pk=pk).first()
        if row is None:
            raise ScheduledRunNotFound(f"no scheduled run {pk} of yours")
        return row


class ScheduledListView(_CallerView):
    """``GET /api/1.1/scheduled?workflow=&status=&due_after=&due_before=&cursor=&limit=``."""

    def get(self, request: Request) -> Response:
        q = request.query_params
        runs = self.visible(request)
        if q.get("workflow"):
            runs = runs.filter(named([q["workflow"]]))
        if q.get("status"):
            statuses = q["status"].split(",")
            bad = [s for s in statuses if s not in Status.values]
            if bad:
                raise InvalidParameter(
                    f"status: {bad[0]!r} is not one of {', '.join(Status.values)}",
                    parameter="status",
                )
            runs = runs.filter(status__in=statuses)
        if q.get("due_after"):
            runs = runs.filter(due_at__gte=_moment(q["due_after"], "due_after"))
        if q.get("due_before"):
            runs = runs.filter(due_at__lt=_moment(q["due_before"], "due_before"))
        cursor = _whole(q.get("cursor"), "cursor", 0, 0, 10**9)
        limit = _whole(q.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        page = list(runs.order_by("due_at", "pk")[cursor : cursor + limit])
        total = runs.count()
        return Response(
            {
                "status": "success",
                "response": {
                    "cursor": cursor,
                    "results": [describe(r) for r in page],
                    "count": len(page),
                    "remaining": max(0, total - cursor - len(page)),
                },
            }
        )


class ScheduledDetailView(_CallerView):
    def get(self, request: Request, pk: Any) -> Response:
        return Response({"status": "success", "response": describe(self.get_row(request, pk))})


class ScheduledCancelView(_CallerView):
    def check_repeat(self, request: Request, pk: Any) -> None:
        self.get_row(request, pk)  # still the caller's to see

    def post(self, request: Request, pk: Any) -> Response:
        row = self.get_row(request, pk)
        if not services.cancel([row.pk]):
            row.refresh_from_db()
            raise NotCancellable(f"scheduled run {row.pk} is {row.status}; it cannot be cancelled")
        row.refresh_from_db()
        return Response({"status": "success", "response": describe(row)})


def _moment(value: Any, name: str) -> Any:
    if value in (None, ""):
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidParameter(f"{name}: {exc}", parameter=name) from None


def _whole(value: Any, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise InvalidParameter(f"{name}: a whole number from {low} to {high}", parameter=name)
    return number
