"""The Runs log (Bubble's "Server logs"): every run and its steps, read-only.

Built for big tables: no ``date_hierarchy`` (it scans for dates), no full result count,
related rows fetched with the page, a run id searched by primary key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..models import Run, StepRun
from .display import admin_link, duration, pretty_json

#: Other apps add links about a run here (the scheduler: the scheduled runs it created and
#: the scheduled run it executed), so this app need not know them. Each gets the run and
#: returns HTML or None.
RUN_LINKS: list[Callable[[Run], Any]] = []


class ReadOnlyMixin:
    """History is never written from the admin (retry and cancel would be actions)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepRunInline(ReadOnlyMixin, admin.TabularInline):
    model = StepRun
    fields = (
        "position",
        "step_id",
        "action_type",
        "label",
        "status",
        "condition_result",
        "inputs_display",
        "output_display",
        "error",
        "duration_display",
    )
    readonly_fields = fields
    ordering = ("position",)
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the steps are part of the run: whoever may see the run sees them
        return request.user.has_perm("workflows.view_run")

    @admin.display(description="inputs")
    def inputs_display(self, obj: StepRun) -> Any:
        return pretty_json(obj.inputs)

    @admin.display(description="output")
    def output_display(self, obj: StepRun) -> Any:
        return pretty_json(obj.output)

    @admin.display(description="duration")
    def duration_display(self, obj: StepRun) -> str:
        return duration(obj.duration_ms)


@admin.register(Run)
class RunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "workflow_name",
        "status",
        "source",
        "actor",
        "duration_display",
    )
    list_filter = (
        ("workflow", admin.RelatedFieldListFilter),
        "status",
        "source",
        ("started_at", admin.DateFieldListFilter),
    )
    search_fields = ("workflow_name",)
    search_help_text = "A workflow name, or a run id."
    show_full_result_count = False
    list_select_related = ("actor",)
    ordering = ("-started_at",)
    list_per_page = 50
    inlines = (StepRunInline,)

    class Media:
        css = {"all": ("workflows/run_log.css",)}

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "workflow_link",
                    "workflow_name",
                    "workflow_revision",
                    "source",
                    "status",
                    "actor",
                    "depth",
                    "parent_link",
                    "children_links",
                    "related_links",
                )
            },
        ),
        ("Timing", {"fields": ("started_at", "finished_at", "duration_display")}),
        ("Parameters and result", {"fields": ("params_display", "result_display")}),
        ("Error", {"fields": ("error_code", "error_message", "error_parameter")}),
    )
    readonly_fields = tuple(f for _, options in fieldsets for f in options["fields"])

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A run id finds that run by primary key; anything else searches workflow names."""
        try:
            run_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(pk=run_id), False

    @admin.display(description="duration", ordering="duration_ms")
    def duration_display(self, obj: Run) -> str:
        return duration(obj.duration_ms)

    @admin.display(description="workflow")
    def workflow_link(self, obj: Run) -> Any:
        return admin_link(obj.workflow)

    @admin.display(description="parent run")
    def parent_link(self, obj: Run) -> Any:
        return admin_link(obj.parent)

    @admin.display(description="child runs")
    def children_links(self, obj: Run) -> Any:
        children = list(obj.children.order_by("started_at")[:100])
        if not children:
            return "-"
        return format_html_join(", ", "{}", ((admin_link(child),) for child in children))

    @admin.display(description="related")
    def related_links(self, obj: Run) -> Any:
        parts = [html for provider in RUN_LINKS if (html := provider(obj))]
        if not parts:
            return "-"
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))  # noqa: S308

    @admin.display(description="parameters")
    def params_display(self, obj: Run) -> Any:
        return pretty_json(obj.params)

    @admin.display(description="result")
    def result_display(self, obj: Run) -> Any:
        return pretty_json(obj.result)
