"""The "Run now" page: a form built from a workflow's parameters, then the run's log.

It runs the workflow through ``workflows.engine.run`` like every other entry point, as
the logged-in user, with ``source=admin``; parameter errors from the engine (missing,
invalid, no such thing) are shown on the parameter's field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import engine
from ..choices import ParameterType, RunSource, WorkflowKind
from ..engine.cache import get_compiled
from ..engine.compiler import CompiledWorkflow
from ..engine.params import ParamSpec
from ..engine.runner import RunResult
from ..exceptions import WorkflowError
from ..models import Workflow
from ..versions.edition import TEST, serving
from .display import json_text

RUN_PERMISSION = "workflows.run_workflow"
RUNNABLE_KINDS = (WorkflowKind.API, WorkflowKind.CUSTOM_EVENT)
URL_SUFFIX = "__url"  # the URL alternative of a file parameter: "<key>__url"


def _help(spec: ParamSpec, hint: str) -> str:
    return " ".join(part for part in (spec.description, hint) if part)


def _initial(spec: ParamSpec) -> Any:
    default = spec.default
    if default is None:
        return None
    if spec.is_list and isinstance(default, list):
        return "\n".join(_initial_one(spec, item) for item in default)
    return _initial_one(spec, default)


def _initial_one(spec: ParamSpec, value: Any) -> str:
    if spec.type == ParameterType.YES_NO and isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def param_fields(spec: ParamSpec) -> dict[str, forms.Field]:
    """The form field(s) for one parameter: its key (and ``<key>__url`` for a file)."""
    required = not spec.optional and spec.default is None
    common: dict[str, Any] = {"label": spec.key, "initial": _initial(spec)}
    if spec.is_list:
        what = f"ids of {spec.data_type}" if spec.type == ParameterType.THING else spec.type
        hint = f"A list ({what}): one value per line."
        if spec.type == ParameterType.FILE:
            hint = "A list of file URLs: one per line."
        return {
            spec.key: forms.CharField(
                required=required,
                widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
                help_text=_help(spec, hint),
                **common,
            )
        }
    if spec.type == ParameterType.YES_NO:
        field: forms.Field = forms.ChoiceField(
            required=required,
            choices=[("", "---------"), ("yes", "yes"), ("no", "no")],
            help_text=_help(spec, "yes / no."),
            **common,
        )
    elif spec.type == ParameterType.THING:
        field = forms.CharField(
            required=required,
            help_text=_help(spec, f"The id of a thing of type {spec.data_type}."),
            **common,
        )
    elif spec.type == ParameterType.NUMBER:
        field = forms.CharField(required=required, help_text=_help(spec, "A number."), **common)
    elif spec.type == ParameterType.DATE:
        field = forms.CharField(
            required=required,
            help_text=_help(
                spec,
                "ISO 8601 (2025-01-31T09:00:00Z), epoch milliseconds, or text such as "
                "'Jan 31, 2025 9:00 am' or '01/31/2025'.",
            ),
            widget=forms.TextInput(attrs={"placeholder": "2025-01-31T09:00:00Z"}),
            **common,
        )
    elif spec.type == ParameterType.FILE:
        # Either an upload or a URL; "required" is judged by the engine on the pair.
        return {
            spec.key: forms.FileField(
                required=False, help_text=_help(spec, "Upload a file, or give its URL."), **common
            ),
            spec.key + URL_SUFFIX: forms.URLField(
                required=False, label=f"{spec.key} (URL)", assume_scheme="https"
            ),
        }
    else:
        field = forms.CharField(
            required=required, strip=False, help_text=_help(spec, "Text."), **common
        )
    if spec.secret and not spec.is_list:
        # typed like a password, never sent back to the browser when the page re-renders
        field.widget = forms.PasswordInput(render_value=False, attrs=field.widget.attrs)
        field.initial = None
    return {spec.key: field}


#: the field that makes "Run now" an explicit choice: it runs on live data
CONFIRM_FIELD = "_confirm_live"


def run_form_class(compiled: CompiledWorkflow) -> type[forms.Form]:
    fields: dict[str, forms.Field] = {}
    for spec in compiled.parameters:
        fields.update(param_fields(spec))
    fields[CONFIRM_FIELD] = forms.BooleanField(
        required=True,
        label="Run on live data",
        help_text="This is not a test run: what the workflow changes is saved, its emails are "
        "sent and its calls are made. (The editor's Test run changes nothing.)",
        error_messages={"required": "Tick this box to run the workflow on live data."},
    )
    return type("RunNowForm", (forms.Form,), {**fields, "required_css_class": "required"})


def raw_params(compiled: CompiledWorkflow, cleaned: dict[str, Any]) -> dict[str, Any]:
    """What the form says, as a caller would send it: empty fields are not sent."""
    raw: dict[str, Any] = {}
    for spec in compiled.parameters:
        value = cleaned.get(spec.key)
        if spec.is_list:
            lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
            if lines:
                raw[spec.key] = lines
        elif spec.type == ParameterType.FILE:
            value = value or cleaned.get(spec.key + URL_SUFFIX)
            if value:
                raw[spec.key] = value
        elif value not in (None, ""):
            raw[spec.key] = value
    return raw


def steps_of(result: RunResult) -> list[dict[str, Any]]:
    """Each step of the run, in order, with its JSON as indented text (escaped later)."""
    return [
        {
            "step": step,
            "inputs": json_text(step.inputs) if step.inputs is not None else "",
            "output": json_text(step.output) if step.output is not None else "",
        }
        for step in result.run.steps.order_by("position")
    ]


class RunNowMixin:
    """Adds ``<pk>/run/`` to a ``ModelAdmin`` of ``Workflow``."""

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "<path:object_id>/run/",
                self.admin_site.admin_view(self.run_now_view),
                name="workflows_workflow_run",
            )
        ]
        return urls + super().get_urls()

    def can_run(self, request: HttpRequest, obj: Workflow | None = None) -> bool:
        return request.user.has_perm(RUN_PERMISSION) and self.has_view_or_change_permission(
            request, obj
        )

    def run_now_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404("No such workflow.")
        if not self.can_run(request, workflow):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "title": f"Run {workflow.name}",
            "change_url": reverse("admin:workflows_workflow_change", args=[workflow.pk]),
            "runnable": workflow.kind in RUNNABLE_KINDS,
        }
        if context["runnable"]:
            try:
                compiled = get_compiled(workflow)
            except WorkflowError as exc:
                context["definition_error"] = exc.message
            else:
                context.update(self._run_form(request, compiled))
        return TemplateResponse(request, "admin/workflows/workflow/run_now.html", context)

    def _run_form(self, request: HttpRequest, compiled: CompiledWorkflow) -> dict[str, Any]:
        form_class = run_form_class(compiled)
        if request.method != "POST":
            return {"form": form_class()}
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return {"form": form}
        try:
            with serving(TEST):  # a builder trying development: a test run
                result = engine.run(
                    compiled,
                    raw_params(compiled, form.cleaned_data),
                    request.user,
                    source=RunSource.ADMIN,
                )
        except WorkflowError as exc:
            field = exc.parameter if exc.parameter in form.fields else None
            form.add_error(field, exc.message)
            return {"form": form}
        return {
            "form": form,
            "result": result,
            "response_json": json_text(result.response) if result.response is not None else "",
            "steps": steps_of(result),
            "children": list(result.run.children.order_by("started_at")),
        }
