"""Scheduling from the admin: "Schedule a workflow" and "Retry now".

The Scheduled runs' add page is the Schedule page: pick a workflow (or come from its page's
"Schedule…" button, ``?workflow=<id>``), fill in its parameters (``schedule_form``), when
it is due and who it runs as; the run is made by ``services.schedule`` like every other
scheduled run (origin ``admin``), never written here. "Retry now" on a failed or missed
run makes a new run of it (``services.retry``), after a confirmation page.

Permissions: ``scheduler.add_scheduledrun`` schedules and retries (a retry runs as the
original run's user, with its parameters: it repeats what was already asked); choosing
another user in "run as" also needs ``scheduler.schedule_as_other_user``. The search
endpoints beside the page answer the same permissions: things are searched as the
logged-in user, under the privacy rules (``workflows.admin.editor.things_named``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from workflows import data_types
from workflows.admin.data.thing_pickers import can_view
from workflows.admin.editor import things_named
from workflows.admin.paging import id_number
from workflows.engine.cache import get_compiled
from workflows.exceptions import WorkflowError
from workflows.models import Workflow

from . import services
from .admin_confirm import action_fields, confirm_page, confirmed, plural, touched
from .models import Origin, ScheduledRun, Status
from .schedule_form import (
    DUE_FIELD,
    RUN_AS_FIELD,
    RUN_AS_OTHERS_PERMISSION,
    ZONE_FIELD,
    schedule_form,
)
from .zone_time import with_zone_time, zone_of

SCHEDULE_PERMISSION = "scheduler.add_scheduledrun"
SCHEDULE_TEMPLATE = "admin/scheduler/scheduledrun/schedule.html"
#: how many users the "run as" search offers
USERS_FOUND = 20
#: the most runs one "Retry selected" makes (each is a row written on its own)
RETRY_LIMIT = 1000


def schedule_url(workflow: Workflow) -> str:
    """The Schedule page of ``workflow`` (its page's "Schedule…" button)."""
    return f"{reverse('admin:scheduler_scheduledrun_add')}?workflow={workflow.pk}"


def schedule_tool(request: HttpRequest, workflow: Workflow) -> tuple[str, str] | None:
    """ "Schedule…" on an API workflow's page, for those who may schedule
    (``workflows.admin.editor.PAGE_TOOLS``)."""
    if workflow.kind in services.SCHEDULABLE_KINDS and request.user.has_perm(SCHEDULE_PERMISSION):
        return schedule_url(workflow), "Schedule…"
    return None


def retried_already(rows: list[ScheduledRun]) -> dict[Any, Any]:
    """Of ``rows``, those whose retry is waiting or succeeded: row id → the retry's id.
    One query for a whole selection."""
    retries = ScheduledRun.objects.filter(retry_of__in=[row.pk for row in rows]).exclude(
        status__in=(*services.RETRYABLE, Status.CANCELLED)
    )
    return dict(retries.values_list("retry_of_id", "pk"))


def retry_refused(request: HttpRequest, row: ScheduledRun, retried: dict[Any, Any]) -> str:
    """Why ``request``'s user may not retry ``row`` ("" when they may); ``retried``: what
    ``retried_already`` says of it. A retry runs as the failed run's user, with its privacy
    setting: retrying another user's run, or one that ignores privacy rules, is running a
    workflow as someone else (the run-as permission); a user no longer active is never run
    as; a run whose retry is waiting or succeeded is not retried twice."""
    actor = row.actor
    if actor is not None and not actor.is_active:
        return f"it runs as {actor.get_username()}, who is no longer active"
    if (actor != request.user or row.ignore_privacy) and not request.user.has_perm(
        RUN_AS_OTHERS_PERMISSION
    ):
        who = actor.get_username() if actor is not None else "nobody (anonymous)"
        what = "ignores privacy rules" if actor == request.user else f"runs as {who}"
        return f"it {what}: retrying it needs the permission to schedule as another user"
    if row.pk in retried:
        return f"it was retried already (scheduled run {retried[row.pk]})"
    return ""


class ScheduleAdminMixin:
    """For the ``ScheduledRun`` admin: its add page schedules; retry now; the searches."""

    def counts_changed(self) -> None:
        """Runs were added: the admin mixing this in forgets its cached counts."""

    # --- permissions ----------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(SCHEDULE_PERMISSION)

    # --- the Schedule page ------------------------------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        raw = (request.POST if request.method == "POST" else request.GET).get("workflow", "")
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Schedule a workflow",
            "changelist_url": reverse(self._url_name("changelist")),
        }
        if not raw.strip():
            context["workflows"] = Workflow.objects.filter(
                kind__in=services.SCHEDULABLE_KINDS
            ).values_list("pk", "name")
            return TemplateResponse(request, SCHEDULE_TEMPLATE, context)
        workflow = workflow_or_404(raw)
        context.update(
            {
                "workflow": workflow,
                "title": f"Schedule {workflow.name}",
                "workflow_url": reverse("admin:workflows_workflow_change", args=[workflow.pk]),
            }
        )
        if workflow.kind not in services.SCHEDULABLE_KINDS:
            context["refused"] = (
                f"{workflow.name} is a {workflow.get_kind_display()}: only API workflows can "
                "be scheduled (a custom event runs inside another workflow, a database "
                "trigger when its data changes)."
            )
            return TemplateResponse(request, SCHEDULE_TEMPLATE, context)
        try:
            compiled = get_compiled(workflow)
        except WorkflowError as exc:
            context["refused"] = f"This workflow cannot run: {exc.message}"
            return TemplateResponse(request, SCHEDULE_TEMPLATE, context)
        form_class = schedule_form(
            compiled,
            things_url=reverse(self._url_name("things")),
            searchable=lambda label: self._may_view_things(request, label),
            users_url=reverse(self._url_name("users")),
            time_zone=compiled.time_zone or settings.TIME_ZONE,
        )
        if request.method != "POST":
            context["form"] = form_class(user=request.user)
            return TemplateResponse(request, SCHEDULE_TEMPLATE, context)
        form = form_class(request.POST, user=request.user)
        context["form"] = form
        if form.is_valid():
            actor = form.cleaned_data[RUN_AS_FIELD]
            try:
                row = services.schedule(
                    workflow,
                    form.raw_params(),
                    form.cleaned_data[DUE_FIELD] or None,
                    actor=actor,
                    time_zone=form.cleaned_data[ZONE_FIELD],
                    origin=Origin.ADMIN,
                )
            except WorkflowError as exc:
                form.add_service_error(exc)
            else:
                return self._scheduled(request, row)
        return TemplateResponse(request, SCHEDULE_TEMPLATE, context)

    def _scheduled(self, request: HttpRequest, row: ScheduledRun) -> HttpResponse:
        self.log_addition(request, row, [{"added": {}}])
        self.counts_changed()
        who = row.actor.get_username() if row.actor else "nobody (anonymous)"
        due = with_zone_time(row.due_at, "%Y-%m-%d %H:%M:%S", zone_of(row))
        page = reverse(self._url_name("change"), args=[row.pk])
        messages.success(request, f"Scheduled {row.workflow.name}, due {due}, to run as {who}.")
        if self.has_view_permission(request, row):
            return redirect(page)
        return redirect(schedule_url(row.workflow))

    # --- the page's searches ----------------------------------------------------------------

    def _may_view_things(self, request: HttpRequest, label: str) -> bool:
        """Whether things of ``label`` are searched by name for this user (their names are
        shown only to who may view them, as in every thing picker)."""
        try:
            return can_view(self.admin_site, request, data_types.get_model(label))
        except WorkflowError:
            return False

    def things_view(self, request: HttpRequest) -> JsonResponse:
        """``?data_type=<label>&q=<text>``: things found by name or id, as the user may."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            model = data_types.get_model(request.GET.get("data_type", ""))
        except WorkflowError as exc:
            return JsonResponse({"error": exc.message}, status=400)
        if not can_view(self.admin_site, request, model):
            return JsonResponse(
                {"error": "you may not view things of this data type: type the thing's id"},
                status=403,
            )
        found = things_named(model, request.GET.get("q", ""), request.user)
        return JsonResponse(
            {"results": [{"id": data_types.plain(t.pk), "label": str(t)} for t in found]}
        )

    def users_view(self, request: HttpRequest) -> JsonResponse:
        """``?q=<text>``: active users whose username or email contains it (run as)."""
        if not (
            self.has_add_permission(request) and request.user.has_perm(RUN_AS_OTHERS_PERMISSION)
        ):
            raise PermissionDenied
        text = request.GET.get("q", "").strip()
        users = get_user_model().objects.filter(is_active=True)
        if text:
            users = users.filter(Q(username__icontains=text) | Q(email__icontains=text))
        found = users.order_by("username")[:USERS_FOUND]
        return JsonResponse(
            {
                "results": [
                    {
                        "id": u.get_username(),
                        "label": f"{u.get_username()} ({u.email})" if u.email else u.get_username(),
                    }
                    for u in found
                ]
            }
        )

    # --- retry now ------------------------------------------------------------------------

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Asks, naming the run and who it runs as; confirmed: a new run of it, due now."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        row = self.get_object(request, unquote(object_id))
        if row is None:
            raise Http404("No such scheduled run.")
        page = reverse(self._url_name("change"), args=[row.pk])
        if row.status not in services.RETRYABLE:
            messages.warning(
                request, f"Only a failed or missed run can be retried; this one is {row.status}."
            )
            return redirect(page)
        refused = retry_refused(request, row, retried_already([row]))
        if refused:
            messages.error(request, f"This run cannot be retried: {refused}.")
            return redirect(page)
        if not confirmed(request):
            who = row.actor.get_username() if row.actor else "nobody (anonymous)"
            details = [
                f"A new scheduled run of {row.workflow_label}, due now, runs as {who} with the "
                "same parameters; this one stays as it is, linked from the new one.",
            ]
            if row.last_error:
                details.append(f"It failed with: {row.last_error}")
            return confirm_page(
                request,
                self,
                title="Retry this run now?",
                question=f"Retry this {row.status} run of {row.workflow_label} now?",
                details=details,
                yes="Yes, retry now",
                back_url=page,
            )
        new = services.retry(row)
        self.log_addition(request, new, [{"added": {}}])
        self.counts_changed()
        messages.success(
            request,
            format_html(
                "Retrying {}: this new run is due now (retry of <a href='{}'>{}</a>).",
                row.workflow_label,
                page,
                row.pk,
            ),
        )
        return redirect(reverse(self._url_name("change"), args=[new.pk]))

    @admin.action(description="Retry selected failed or missed runs now", permissions=["add"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """A new run of each failed or missed run selected, after saying how many."""
        retryable = queryset.filter(status__in=services.RETRYABLE)
        if not confirmed(request):
            what = touched(retryable)
            if what.count > RETRY_LIMIT:
                messages.error(
                    request,
                    f"That would retry {what.count:,} runs; at most {RETRY_LIMIT:,} at once. "
                    "Narrow the filter.",
                )
                return None
            return confirm_page(
                request,
                self,
                title="Retry runs now?",
                question=f"Retry {what.describe('failed or missed run')} now?",
                details=[
                    "Each gets a new scheduled run, due now, as the same user with the same "
                    "parameters; runs that did not fail or miss are left out.",
                ],
                yes="Yes, retry now",
                back_url=request.get_full_path(),
                hidden=action_fields(request),
                count=what.count,
            )
        rows = list(retryable.select_related("workflow", "actor")[: RETRY_LIMIT + 1])
        if len(rows) > RETRY_LIMIT:
            messages.error(request, f"At most {RETRY_LIMIT:,} runs are retried at once.")
            return None
        earlier = retried_already(rows)
        refused = {row.pk: retry_refused(request, row, earlier) for row in rows}
        retried = [row for row in rows if not refused[row.pk]]
        for row in retried:
            self.log_addition(request, services.retry(row), [{"added": {}}])
        self.counts_changed()
        messages.success(request, f"Retrying {plural(len(retried), 'run')}: each is due now.")
        reasons = sorted({reason for reason in refused.values() if reason})
        if reasons:
            messages.warning(
                request,
                f"{plural(len(rows) - len(retried), 'run')} not retried: {'; '.join(reasons)}.",
            )
        return None

    # --- urls -------------------------------------------------------------------------------

    def schedule_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("things/", wrap(self.things_view), name=f"{prefix}_things"),
            path("users/", wrap(self.users_view), name=f"{prefix}_users"),
            path("<path:object_id>/retry/", wrap(self.retry_view), name=f"{prefix}_retry"),
        ]


def workflow_or_404(raw: str) -> Workflow:
    """The workflow of id ``raw`` (as a URL or form sends it), else a 404."""
    try:
        return Workflow.objects.get(pk=id_number(raw))
    except (ValueError, Workflow.DoesNotExist):
        raise Http404("No such workflow.") from None
