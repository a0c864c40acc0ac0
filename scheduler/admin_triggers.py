"""Trigger workflows: the database triggers on a page of their own (admin → Scheduler).

Each row is a workflow of kind "trigger": the data type it watches (by its name), the
changes it fires on, its condition, whether it is paused, and its last run. The workflows
table is small; the last run is a subquery per row answered from ``run_workflow_started_idx``.
The page is read-only: a trigger is edited on its workflow's page, which each name links to,
and it is shown to whoever may view workflows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from workflows import data_types
from workflows.choices import RunStatus, TriggerEvent, WorkflowKind
from workflows.exceptions import WorkflowError
from workflows.models import Run

from .models import Pause, TriggerWorkflow

VIEW_PERMISSIONS = ("workflows.view_workflow", "workflows.change_workflow")
EVENTS = dict(TriggerEvent.choices)
STATUSES = dict(RunStatus.choices)


def data_type_name(label: str) -> str:
    """``Order (examples.Order)``; a type defined without code is its own name (``Lead``)."""
    if not label:
        return "-"
    try:
        model = data_types.get_model(label)
    except WorkflowError:
        return f"{label} (not an allowed data type)"
    name = str(model._meta.verbose_name).capitalize()
    return label if name.lower() == label.lower() else f"{name} ({label})"


@admin.register(TriggerWorkflow)
class TriggerWorkflowAdmin(admin.ModelAdmin):
    list_display = (
        "name_link",
        "data_type_display",
        "events",
        "condition",
        "paused",
        "last_run",
        "scheduled_runs",
    )
    list_display_links = None
    list_filter = ("data_type",)
    search_fields = ("name", "description")
    search_help_text = "A workflow's name or description."
    ordering = ("name",)
    list_per_page = 100

    class Media:
        css = {"all": ("scheduler/scheduler_admin.css",)}

    # --- read-only, for whoever may view workflows --------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return any(request.user.has_perm(p) for p in VIEW_PERMISSIONS)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """A trigger's page is its workflow's page."""
        return redirect(reverse("admin:workflows_workflow_change", args=[object_id]))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        last = Run.objects.filter(workflow=OuterRef("pk")).order_by("-started_at")
        return (
            super()
            .get_queryset(request)
            .filter(kind=WorkflowKind.TRIGGER)
            .select_related("pause")
            .annotate(
                last_run_id=Subquery(last.values("pk")[:1]),
                last_run_at=Subquery(last.values("started_at")[:1]),
                last_run_status=Subquery(last.values("status")[:1]),
            )
        )

    # --- columns ------------------------------------------------------------------------

    @admin.display(description="trigger workflow", ordering="name")
    def name_link(self, obj: TriggerWorkflow) -> Any:
        url = reverse("admin:workflows_workflow_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description="data type", ordering="data_type")
    def data_type_display(self, obj: TriggerWorkflow) -> str:
        return data_type_name(obj.data_type)

    @admin.display(description="fires when")
    def events(self, obj: TriggerWorkflow) -> str:
        on = obj.trigger_on if isinstance(obj.trigger_on, list) else []
        return ", ".join(str(EVENTS.get(e, e)) for e in on) or "-"

    @admin.display(description="only when")
    def condition(self, obj: TriggerWorkflow) -> Any:
        if not obj.only_when.strip():
            return "-"
        return format_html('<code class="sched-params">{}</code>', obj.only_when)

    @admin.display(description="paused")
    def paused(self, obj: TriggerWorkflow) -> Any:
        try:
            obj.pause  # noqa: B018 - its pause, if any (joined)
        except Pause.DoesNotExist:
            return "-"
        return format_html('<span class="sched-badge sched-pause">{}</span>', "paused")

    @admin.display(description="last run", ordering="last_run_at")
    def last_run(self, obj: Any) -> Any:
        if obj.last_run_id is None:
            return format_html("<em>{}</em>", "never")
        url = reverse("admin:workflows_run_change", args=[obj.last_run_id])
        when = f"{timezone.localtime(obj.last_run_at):%Y-%m-%d %H:%M:%S}"
        status = STATUSES.get(obj.last_run_status, obj.last_run_status)
        return format_html('<a href="{}">{}</a> ({})', url, when, status)

    @admin.display(description="runs")
    def scheduled_runs(self, obj: TriggerWorkflow) -> Any:
        runs = reverse("admin:workflows_run_changelist")
        scheduled = reverse("admin:scheduler_scheduledrun_changelist")
        query = urlencode({"workflow__id__exact": obj.pk})
        return format_html(
            '<a href="{}?{}">its runs</a> · <a href="{}?{}&amp;status=all">scheduled</a>',
            runs,
            query,
            scheduled,
            query,
        )
