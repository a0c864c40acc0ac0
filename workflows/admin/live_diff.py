"""Per workflow, whether development differs from live (docs/versions.md): the Workflows
list's "Live" column and the page showing the difference."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..definitions import workflow_definition
from ..models import Version, Workflow
from ..versions import snapshot
from .versions import change_views

TEMPLATE = "admin/workflows/workflow/live_diff.html"


def live_definitions(request: HttpRequest) -> dict[str, Any] | None:
    """The live version's workflows by name (None before the first deploy), read once per
    request."""
    if not hasattr(request, "_live_workflows"):
        live = Version.objects.only("definition").first()
        request._live_workflows = (  # type: ignore[attr-defined]
            None
            if live is None
            else {w.get("name"): w for w in live.definition.get("workflows") or ()}
        )
    return request._live_workflows  # type: ignore[attr-defined]


class LiveDiffMixin:
    """For ``WorkflowAdmin``: the "Live" column and ``<id>/live-diff/``."""

    def get_queryset(self, request: HttpRequest) -> Any:
        found = super().get_queryset(request)  # type: ignore[misc]
        return found.prefetch_related("parameters", "actions")

    def get_list_display(self, request: HttpRequest) -> Any:
        """The list's columns, "live" before the last: a column of this request (the
        admin is shared by every request), comparing with the live version read once."""
        columns = list(super().get_list_display(request))  # type: ignore[misc]

        def live(obj: Workflow) -> Any:
            return self.live_status(request, obj)

        live.short_description = "live"  # type: ignore[attr-defined]
        return [*columns[:-1], live, *columns[-1:]]

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        view = wrap(self.live_diff_view)
        return [
            path("<path:object_id>/live-diff/", view, name="workflows_workflow_live_diff"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        """Deleting changes development: the page says whether live keeps the workflow."""
        workflow = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        deployed = live_definitions(request)
        context = {
            "live_keeps_it": bool(workflow and deployed and workflow.name in deployed),
            "live_number": Version.objects.values_list("number", flat=True).first(),
            **(extra_context or {}),
        }
        return super().delete_view(request, object_id, context)  # type: ignore[misc]

    def live_status(self, request: HttpRequest, obj: Workflow) -> Any:
        deployed = live_definitions(request)
        if deployed is None:
            return "–"
        live = deployed.get(obj.name)
        if live is None:
            text = "not live yet"
        elif snapshot.changes_between(
            {"workflows": [live]}, {"workflows": [workflow_definition(obj)]}
        ):
            text = "differs from live"
        else:
            return format_html('<span class="live-same">{}</span>', "same as live")
        url = reverse("admin:workflows_workflow_live_diff", args=[obj.pk])
        return format_html('<a class="live-differs" href="{}">{}</a>', url, text)

    def live_diff_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """What deploying would change in this workflow: live's definition against
        development's."""
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        workflow = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if workflow is None:
            raise Http404("No such workflow.")
        deployed = live_definitions(request)
        live = (deployed or {}).get(workflow.name)
        changes = change_views(
            {"workflows": [live]} if live else None,
            {"workflows": [workflow_definition(workflow)]},
        )
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": Workflow._meta,
            "original": workflow,
            "title": f"{workflow.name}: development against live",
            "changes": changes,
            "nothing_deployed": deployed is None,
            "live_number": Version.objects.values_list("number", flat=True).first(),
            "deploy_url": reverse("admin:workflows_version_deploy"),
            "may_deploy": request.user.has_perm("workflows.deploy_version"),
        }
        return TemplateResponse(request, TEMPLATE, context)
