"""Versions in the admin: deploy to live, the history of deployed versions, rollback.

*Versions* lists every deployed version, the live one (the highest number) first; a
version's page shows its message, author and what it changed against the version before,
each change with its YAML diff. *Deploy to live…* shows what the development version would
change against live (or the problems that refuse it) and asks for a message; *Deploy this
version again* makes an earlier version live as a new number. Both need the permission
``workflows.deploy_version`` and a POST from the page (docs/versions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..models import Version
from ..transfer import ImportRefused
from ..versions import snapshot
from ..versions.deploy import DeployRefused, NothingToDeploy, deploy, live, problems
from ..versions.restore import copy_to_development
from .audit import diff_html
from .runs import ReadOnlyMixin

DEPLOY_PERMISSION = "workflows.deploy_version"
DEPLOY_TEMPLATE = "admin/workflows/version/deploy.html"


@dataclass(frozen=True)
class ChangeView:
    """One change as the pages show it: what, and its diff."""

    label: str
    action: str
    diff: Any


def change_views(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[ChangeView]:
    return [
        ChangeView(change.label, str(change.action), diff_html(change.text_diff().splitlines()))
        for change in snapshot.changes_between(before, after)
    ]


@admin.register(Version)
class VersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number_display", "message", "author_display", "deployed_at", "summary")
    list_display_links = ("number_display",)
    search_fields = ("message", "author_name")
    search_help_text = "A deploy's message, or who deployed it."
    ordering = ("-number",)
    list_per_page = 50
    show_full_result_count = False
    change_form_template = "admin/workflows/version/change_form.html"
    change_list_template = "admin/workflows/version/change_list.html"

    class Media:
        css = {"all": ("workflows/audit.css",)}

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request: HttpRequest) -> Any:
        # each row knows the live number, read with the page (the admin is shared by
        # every request: no state on it)
        live_number = Version.objects.order_by("-number").values("number")[:1]
        return (
            super()
            .get_queryset(request)
            .defer("definition")
            .annotate(live_number=Subquery(live_number))
        )

    @admin.display(description="version", ordering="number")
    def number_display(self, obj: Version) -> Any:
        if obj.number == obj.live_number:
            return format_html("{} <span class='version-live'>live</span>", obj.number)
        return obj.number

    @admin.display(description="deployed by", ordering="author_name")
    def author_display(self, obj: Version) -> str:
        return obj.author_name or "(command line)"

    @admin.display(description="changes")
    def summary(self, obj: Version) -> str:
        counts: dict[str, int] = {}
        for change in obj.changes:
            counts[change["action"]] = counts.get(change["action"], 0) + 1
        text = ", ".join(f"{n} {action}" for action, n in counts.items()) or "nothing"
        if obj.restored_from:
            text += f" (version {obj.restored_from} again)"
        return text

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        context = {
            "may_deploy": request.user.has_perm(DEPLOY_PERMISSION),
            "deploy_url": reverse("admin:workflows_version_deploy"),
            "nothing_deployed": not Version.objects.exists(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        version = self.get_object(request, unquote(object_id))
        if version is None:
            return super().change_view(request, object_id, form_url, extra_context)
        before = Version.objects.filter(number__lt=version.number).first()
        newest = Version.objects.values_list("number", flat=True).first()
        context = {
            "version": version,
            "is_live": version.number == newest,
            "previous": before,
            "changes": change_views(before.definition if before else None, version.definition),
            "may_deploy": request.user.has_perm(DEPLOY_PERMISSION),
            "redeploy_url": reverse("admin:workflows_version_redeploy", args=[version.pk]),
            "may_copy": request.user.has_perm(DEPLOY_PERMISSION)
            and request.user.has_perm("workflows.change_workflow"),
            "copy_url": reverse("admin:workflows_version_to_development", args=[version.pk]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("deploy/", wrap(self.deploy_view), name="workflows_version_deploy"),
            path(
                "<path:object_id>/deploy-again/",
                wrap(self.redeploy_view),
                name="workflows_version_redeploy",
            ),
            path(
                "<path:object_id>/to-development/",
                wrap(self.to_development_view),
                name="workflows_version_to_development",
            ),
            *super().get_urls(),
        ]

    # --- deploying --------------------------------------------------------------------------

    def deploy_view(self, request: HttpRequest) -> HttpResponse:
        """What development would change against live, its problems, a message; POST:
        deploy it."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(DEPLOY_PERMISSION):
            raise PermissionDenied
        message = request.POST.get("message", "").strip()
        error = ""
        if request.method == "POST":
            if not message:
                error = "Say what this deploy is: the message is required."
            else:
                try:
                    made = deploy(message=message, user=request.user)
                except NothingToDeploy as exc:
                    messages.info(request, exc.problems[0].capitalize() + ".")
                    return redirect(reverse("admin:workflows_version_changelist"))
                except DeployRefused as exc:
                    error = "The deploy was refused: " + "; ".join(exc.problems)
                else:
                    messages.success(request, f"Deployed version {made.number}: it is live.")
                    return redirect(reverse("admin:workflows_version_change", args=[made.pk]))
        current = live()
        development = snapshot.development()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Deploy to live",
            "live": current,
            "changes": change_views(current.definition if current else None, development),
            "problems": problems(development),
            "message": message,
            "error": error,
        }
        return TemplateResponse(request, DEPLOY_TEMPLATE, context)

    def redeploy_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Deploy an earlier version again (POST from its page): a new version."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(DEPLOY_PERMISSION):
            raise PermissionDenied
        version = self.get_object(request, unquote(object_id))
        if version is None:
            raise Http404("No such version.")
        message = request.POST.get("message", "").strip() or f"Version {version.number} again"
        try:
            made = deploy(message=message, user=request.user, restore=version)
        except DeployRefused as exc:
            messages.error(request, "Not deployed: " + "; ".join(exc.problems))
            return redirect(reverse("admin:workflows_version_change", args=[version.pk]))
        messages.success(
            request,
            f"Deployed version {version.number} again as version {made.number}: it is live.",
        )
        return redirect(reverse("admin:workflows_version_change", args=[made.pk]))

    def to_development_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Copy a version into development (POST from its page): development becomes what
        it was (``versions.restore``); live is not changed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = request.user
        if not (user.has_perm(DEPLOY_PERMISSION) and user.has_perm("workflows.change_workflow")):
            raise PermissionDenied
        version = self.get_object(request, unquote(object_id))
        if version is None:
            raise Http404("No such version.")
        page = reverse("admin:workflows_version_change", args=[version.pk])
        try:
            restored = copy_to_development(version, user=user)
        except ImportRefused as exc:
            messages.error(request, "Development was not changed: " + exc.message)
            return redirect(page)
        deleted = restored.deleted_workflows + restored.deleted_rules
        messages.success(
            request,
            f"Development is now version {version.number}: {restored.report.summary()}"
            + (f"; deleted: {', '.join(deleted)}" if deleted else "")
            + ". Live is unchanged until you deploy.",
        )
        return redirect(page)
