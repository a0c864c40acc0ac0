""" "Detect data" in the admin: ``<pk>/detect/`` waits for a request to the workflow's
``/initialize`` URL, then proposes its parameters (``workflows.detect``) for the builder to
accept or edit. Only those who may change the workflow see or start it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import data_types, detect
from ..choices import WorkflowKind
from ..editor.saving import EditedDefinitionRefused
from ..engine.param_types import all_param_types
from ..models import Workflow

TEMPLATE = "admin/workflows/workflow/detect.html"


class DetectDataMixin:
    """Adds ``<pk>/detect/`` to the workflow ``ModelAdmin``."""

    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view(self.detect_view)
        return [path("<path:object_id>/detect/", view, name=f"{info}_detect"), *super().get_urls()]

    def can_detect(self, request: HttpRequest, obj: Workflow | None) -> bool:
        return (
            obj is not None
            and obj.kind == WorkflowKind.API
            and self.has_change_permission(request, obj)
        )

    def detect_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404("No such workflow.")
        if not self.can_detect(request, workflow):
            raise PermissionDenied
        here = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_detect", args=[workflow.pk]
        )
        change = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[workflow.pk]
        )
        problems: list[str] = []
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "start":
                detect.start(workflow, request.user)
                return HttpResponseRedirect(here)
            if action == "stop":
                detect.stop(workflow)
                messages.info(request, "Data detection stopped.")
                return HttpResponseRedirect(change)
            if action == "accept":
                chosen, problems = _chosen_rows(request.POST)
                if not problems:
                    try:
                        detect.accept(workflow, chosen, request.user)
                    except EditedDefinitionRefused as exc:
                        problems = [issue.message for issue in exc.issues]
                    else:
                        messages.success(
                            request, f"{len(chosen)} parameter(s) added to {workflow.name}."
                        )
                        return HttpResponseRedirect(change)
        captured = detect.waiting_or_captured(workflow)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "title": f"Detect data for {workflow.name}",
            "change_url": change,
            "capture": captured,
            "initialize_url": request.build_absolute_uri(
                reverse("workflows_api:initialize", args=[workflow.name])
            ),
            "proposals": detect.proposals(workflow, captured)
            if captured and captured.captured_at
            else [],
            "types": [(t.name, t.label) for t in all_param_types()],
            "data_types": data_types.allowed_labels(),
            "problems": problems,
        }
        return TemplateResponse(request, TEMPLATE, context)


def _chosen_rows(post: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The proposal rows the builder kept, as parameters; and what is wrong with them."""
    chosen: list[dict[str, Any]] = []
    problems: list[str] = []
    known_types = {t.name for t in all_param_types()}
    for index in post.getlist("row"):
        if not post.get(f"use-{index}"):
            continue
        key = (post.get(f"key-{index}") or "").strip()
        kind = post.get(f"type-{index}") or "text"
        row = {
            "key": key,
            "type": kind,
            "data_type": (post.get(f"data_type-{index}") or "").strip(),
            "is_list": bool(post.get(f"is_list-{index}")),
            "optional": bool(post.get(f"optional-{index}")),
            "querystring": bool(post.get(f"querystring-{index}")),
        }
        if kind not in known_types:
            problems.append(f"{key or 'a parameter'}: unknown type {kind!r}")
        elif kind == "thing" and not row["data_type"]:
            problems.append(f"{key}: a thing parameter needs its data type")
        chosen.append(row)
    if not chosen and not problems:
        problems.append("tick at least one parameter to add")
    return chosen, problems
