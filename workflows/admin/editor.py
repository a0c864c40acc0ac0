"""The workflow editor page: the admin's add and change views for workflows.

One page per workflow (templates/admin/workflows/workflow/editor.html and
workflows/static/workflows/editor/): the trigger at the top, the steps as numbered cards,
each step's properties as typed inputs, "insert dynamic data" in every value, every
problem listed as you edit, and a test run that changes nothing. The page sends the whole
workflow as one definition (docs/workflow-format.md) when saved; the server checks it as
an import would (``editor.saving``) and refuses it whole, listing every problem, or saves
it with its audit record.

JSON endpoints beside it, for the page's script: the live check (``editor.checks``), the
test run (``editor.trial``), and a search of things by their name (test run parameters).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from .. import data_types, yaml_loader
from ..definitions import workflow_definition
from ..editor.catalog import editor_catalog
from ..editor.checks import _issue, check_definition
from ..editor.saving import EditedDefinitionRefused, definition_from_text, workflow_save_edited
from ..editor.trial import trial_run
from ..engine.advice import workflow_advice
from ..engine.cache import get_compiled
from ..exceptions import WorkflowError
from ..models import Version, Workflow
from ..privacy.access import DataAccess
from ..privacy.grants import FIND

EDITOR_TEMPLATE = "admin/workflows/workflow/editor.html"
#: the editor's ES modules, preloaded together by the page (editor.js imports them in
#: chains four deep: fetched one level at a time, each level costs a round trip)
EDITOR_MODULES = tuple(
    f"workflows/editor/{name}.js"
    for name in ("dom", "api", "dynamic", "properties", "steps", "trigger", "trial")
)
#: how many things the test run's search offers
THINGS_FOUND = 20
#: links other apps add among a workflow page's tools (top right): ``tool(request,
#: workflow)`` gives ``(url, label)`` or None; the scheduler adds "Schedule…"
#: (``scheduler.admin_schedule.schedule_tool``, registered in scheduler/apps.py)
PAGE_TOOLS: list[Callable[[HttpRequest, Workflow], tuple[str, str] | None]] = []
#: a new workflow, as the editor starts it
BLANK: dict[str, Any] = {
    "name": "",
    "kind": "api",
    "expose": False,
    "auth": "user",
    "parameters": [],
    "actions": [],
}


class WorkflowEditorMixin:
    """Mix into the workflow ``ModelAdmin``: its add and change views are the editor."""

    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("editor/check/", wrap(self.editor_check_view), name=f"{info}_editor_check"),
            path("editor/test-run/", wrap(self.editor_trial_view), name=f"{info}_editor_test_run"),
            path("editor/things/", wrap(self.editor_things_view), name=f"{info}_editor_things"),
            *super().get_urls(),
        ]

    # --- the page ---------------------------------------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self.editor_view(request, None)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return self.editor_view(request, obj)

    def editor_view(self, request: HttpRequest, obj: Workflow | None) -> HttpResponse:
        can_save = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        definition = workflow_definition(obj) if obj is not None else dict(BLANK)
        issues: list[dict[str, Any]] = []
        if request.method == "POST":
            if not can_save:
                raise PermissionDenied
            try:
                definition = _posted_definition(request)
                saved, changed = workflow_save_edited(
                    workflow=obj, definition=definition, user=request.user
                )
            except EditedDefinitionRefused as exc:
                issues = [_issue(issue) for issue in exc.issues]
            else:
                return self._saved(request, obj, saved, changed)
        return self.render_editor(request, obj, definition, issues, can_save)

    def render_editor(
        self,
        request: HttpRequest,
        obj: Workflow | None,
        definition: dict[str, Any],
        issues: list[dict[str, Any]],
        can_save: bool,
    ) -> TemplateResponse:
        opts = self.opts
        info = f"admin:{opts.app_label}_{opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Workflow {obj.name}" if obj is not None else "Add workflow",
            "subtitle": None,
            "opts": opts,
            "original": obj,
            "has_view_permission": True,
            "can_save": can_save,
            "can_delete": obj is not None and self.has_delete_permission(request, obj),
            "can_run": obj is not None and self.can_run(request, obj),
            "issues": issues,
            "definition_text": yaml_loader.dump_yaml(definition),
            "editor_data": {
                "definition": definition,
                "issues": issues,
                "catalog": editor_catalog(),
                "can_save": can_save,
                "can_run": self.can_run(request, obj),
                "urls": {
                    "check": reverse(f"{info}_editor_check"),
                    "test_run": reverse(f"{info}_editor_test_run"),
                    "things": reverse(f"{info}_editor_things"),
                },
            },
            "run_now_url": (
                reverse(f"{info}_run", args=[obj.pk])
                if obj is not None and self.can_run(request, obj)
                else None
            ),
            "definition_history_url": self.history_url(request, obj) if obj else None,
            "page_tools": [
                found for tool in PAGE_TOOLS if obj is not None and (found := tool(request, obj))
            ],
            "editor_modules": EDITOR_MODULES,
            "detect_url": (
                reverse(f"{info}_detect", args=[obj.pk]) if self.can_detect(request, obj) else None
            ),
            "delete_url": reverse(f"{info}_delete", args=[obj.pk]) if obj is not None else None,
            "changelist_url": reverse(f"{info}_changelist"),
            "media": self.media,
        }
        return TemplateResponse(request, EDITOR_TEMPLATE, context)

    def _saved(
        self, request: HttpRequest, before: Workflow | None, saved: Workflow, changed: bool
    ) -> HttpResponse:
        opts = self.opts
        link = format_html(
            '<a href="{}">{}</a>',
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[saved.pk]),
            saved.name,
        )
        if before is None:
            self.log_addition(request, saved, [{"added": {}}])
            messages.success(request, format_html("The workflow “{}” was added.", link))
        elif changed:
            self.log_change(request, saved, [{"changed": {"fields": ["definition"]}}])
            messages.success(request, format_html("The workflow “{}” was saved.", link))
        if (before is None or changed) and Version.objects.exists():
            messages.info(
                request,
                format_html(
                    "Saved in development: try it at <code>/version-test/api/1.1/wf/{}</code>; "
                    'callers keep the live version until you <a href="{}">deploy</a>.',
                    saved.name,
                    reverse("admin:workflows_version_deploy"),
                ),
            )
        if before is not None and not changed:
            messages.info(request, format_html("Nothing changed in the workflow “{}”.", link))
        for advice in workflow_advice(get_compiled(saved)):
            messages.warning(request, advice)
        if "_continue" in request.POST:
            target = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[saved.pk])
        elif "_addanother" in request.POST:
            target = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        else:
            target = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return HttpResponseRedirect(target)

    # --- the page's JSON endpoints ----------------------------------------------------------

    def editor_check_view(self, request: HttpRequest) -> JsonResponse:
        return require_POST(self._check)(request)

    def _check(self, request: HttpRequest) -> JsonResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        body = _json_body(request)
        try:
            if isinstance(body.get("text"), str):  # the "Definition" view: YAML to read
                definition = definition_from_text(body["text"])
                return JsonResponse({"definition": definition, **check_definition(definition)})
            definition = body.get("definition")
            answer = check_definition(definition)
            if isinstance(definition, dict):  # for the "Definition" view, kept in step
                answer["text"] = yaml_loader.dump_yaml(definition)
            return JsonResponse(answer)
        except EditedDefinitionRefused as exc:
            return JsonResponse({"issues": [_issue(issue) for issue in exc.issues]})

    def editor_trial_view(self, request: HttpRequest) -> JsonResponse:
        return require_POST(self._trial)(request)

    def _trial(self, request: HttpRequest) -> JsonResponse:
        if not request.user.has_perm("workflows.run_workflow"):
            raise PermissionDenied
        body = _json_body(request)
        params = body.get("params")
        things = body.get("things")  # a trigger's thing and thing_before, by id
        answer = trial_run(
            body.get("definition") or {},
            params if isinstance(params, dict) else {},
            user=request.user,
            send=body.get("send") is True,
            things=things if isinstance(things, dict) else None,
        )
        return JsonResponse(answer)

    def editor_things_view(self, request: HttpRequest) -> JsonResponse:
        return require_GET(self._things)(request)

    def _things(self, request: HttpRequest) -> JsonResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            model = data_types.get_model(request.GET.get("data_type", ""))
        except WorkflowError as exc:
            return JsonResponse({"error": exc.message}, status=400)
        found = things_named(model, request.GET.get("q", ""), request.user)
        return JsonResponse(
            {"results": [{"id": data_types.plain(t.pk), "label": str(t)} for t in found]}
        )


def things_named(model: type[models.Model], text: str, user: Any) -> list[models.Model]:
    """Things the user may find whose id is ``text`` or whose text fields contain it (a
    thing is shown by its name, ``str(thing)``, as Bubble shows it). A thing without a name
    of its own is shown as its type and id (``Order #12``): typed that way, or as the
    type's name alone (``Order``: every one the user may find), it is found too."""
    queryset = DataAccess(user, ignore_privacy=False).restrict(model._default_manager.all(), FIND)
    text = text.strip()
    shown = _SHOWN_AS_ID.fullmatch(text)
    if shown and shown["type"].strip().lower() in _names_of(model) and not shown["id"]:
        text = ""  # the type's own name: all of them
    if text:
        match = Q()
        for field in data_types.visible_fields(model):
            if isinstance(field, models.CharField | models.TextField):
                match |= Q(**{f"{field.name}__icontains": text})
        ids = {text, shown["id"]} if shown and shown["id"] else {text}
        for written in ids:
            with contextlib.suppress(ValidationError):  # not an id: only the text fields match
                match |= Q(pk=data_types.pk_value(model, written))
        queryset = queryset.filter(match)
    return list(queryset.order_by("-pk")[:THINGS_FOUND])


#: ``Order #12``, ``#12``, ``order`` (a type's name, then maybe ``#`` and an id)
_SHOWN_AS_ID = re.compile(r"(?P<type>[^#]*?)\s*(?:#\s*(?P<id>\S+))?")


def _names_of(model: type[models.Model]) -> set[str]:
    """What a type is called where its things are shown: its label, model and verbose name."""
    meta = model._meta
    return {
        data_types.label_of(model).lower(),
        meta.model_name,
        str(meta.verbose_name).lower(),
        str(meta.verbose_name_plural).lower(),
    }


def _posted_definition(request: HttpRequest) -> dict[str, Any]:
    """The definition the page sent: JSON from the editor, or YAML from its text view (the
    page without its script sends that one)."""
    if request.POST.get("mode") != "text" and request.POST.get("definition"):
        try:
            definition = json.loads(request.POST["definition"])
        except ValueError:
            raise EditedDefinitionRefused([]) from None
        if isinstance(definition, dict):
            return definition
    return definition_from_text(request.POST.get("definition_text", ""))


def _json_body(request: HttpRequest) -> dict[str, Any]:
    from .. import jsontext

    try:
        body = jsontext.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
