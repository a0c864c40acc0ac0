"""The backend workflow editor: a workflow, its parameters and its ordered actions.

Nothing is saved unless the whole edited workflow compiles (see ``definition_check``);
positions are renumbered 1..n on save, and every save changes the workflow's revision
(``Workflow.save`` and the parts' ``save``/``delete`` do that), so compiled copies are
rebuilt. Every add, change and delete is recorded in the audit trail (``workflows.audit``):
the definition read before the save and after the inlines are saved, nothing when equal.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from .. import audit
from ..engine.advice import workflow_advice
from ..engine.cache import get_compiled
from ..models import Action, Parameter, Workflow
from .audited import AuditedAdminMixin
from .definition_check import DefinitionCheck, DefinitionFormSet
from .forms import ActionForm, ParameterForm, WorkflowForm, action_fieldsets, action_form_class
from .run_now import RUNNABLE_KINDS, RunNowMixin

#: where ``save_model`` leaves the definition as it was, for ``save_related`` to compare
_BEFORE_ATTR = "_workflow_definition_before"


class ParameterFormSet(DefinitionFormSet):
    part = "parameters"


class ActionFormSet(DefinitionFormSet):
    part = "actions"


class WorkflowPartInline(admin.options.InlineModelAdmin):
    """Parameters and actions are the workflow's definition: its permissions govern them."""

    extra = 1
    ordering = ("position", "id")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("workflows.view_workflow") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request.user.has_perm("workflows.add_workflow") or request.user.has_perm(
                "workflows.change_workflow"
            )
        return request.user.has_perm("workflows.change_workflow")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)


class ParameterInline(WorkflowPartInline, admin.TabularInline):
    model = Parameter
    form = ParameterForm
    formset = ParameterFormSet
    fields = ParameterForm.Meta.fields


class ActionAdminFormSet(helpers.InlineAdminFormSet):
    """Each action row renders its own type's config fieldset only; the blank template row
    ("Add another") keeps every type's, and the editor's script copies the one a row needs
    when its type changes. An action row with every type's fields made a workflow's page
    hundreds of kilobytes, slow to render and to load."""

    def __iter__(self) -> Any:
        for admin_form in super().__iter__():
            form = admin_form.form
            if not form.prefix.endswith("__prefix__"):  # not the template row
                chosen = _chosen_type(form)
                admin_form.fieldsets = [
                    fieldset
                    for fieldset in admin_form.fieldsets
                    if "action-config" not in fieldset[1].get("classes", ())
                    or f"action-config--{chosen}" in fieldset[1]["classes"]
                ]
            yield admin_form


def _chosen_type(form: Any) -> str:
    if form.is_bound:
        return str(form.data.get(form.add_prefix("type")) or "")
    return form.instance.type if form.instance.pk else ""


class ActionInline(WorkflowPartInline, admin.StackedInline):
    """One form per action: common keys, then a fieldset per action type (see forms)."""

    model = Action
    form = ActionForm
    formset = ActionFormSet

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return action_fieldsets()

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("form", action_form_class())
        return super().get_formset(request, obj, **kwargs)


@admin.register(Workflow)
class WorkflowAdmin(AuditedAdminMixin, RunNowMixin, admin.ModelAdmin):
    audit_kind = audit.Kind.WORKFLOW
    form = WorkflowForm
    list_display = ("name", "kind", "expose", "auth", "updated_at")
    list_filter = ("kind", "expose", "auth")
    search_fields = ("name", "description")
    readonly_fields = ("revision", "created_at", "updated_at")
    inlines = (ParameterInline, ActionInline)
    fieldsets = (
        (None, {"fields": ("name", "kind", "description")}),
        (
            "Only when",
            {
                "fields": ("only_when",),
                "description": "Run only when this condition is true (a bare expression).",
            },
        ),
        (
            "API settings",
            {
                "fields": (
                    "expose",
                    "auth",
                    "condition_not_met",
                    "commit",
                    "timeout",
                    "ignore_privacy",
                    "webhook",
                )
            },
        ),
        (
            "Database trigger",
            {
                "fields": ("data_type", "trigger_on"),
                "classes": ("collapse", "workflow-trigger-settings"),
                "description": "For workflows of kind database trigger only.",
            },
        ),
        (
            "Scheduling",
            {
                "fields": ("schedule", "retries", "retry_delay", "missed_after"),
                "description": "When it runs by itself, and how scheduled runs retry.",
            },
        ),
        (
            "Revision",
            {"fields": ("revision", "created_at", "updated_at"), "classes": ("collapse",)},
        ),
    )

    class Media:
        js = ("workflows/workflow_editor.js",)
        css = {"all": ("workflows/workflow_editor.css",)}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        """The main form, tied to this request's ``DefinitionCheck`` (see definition_check)."""
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"definition_check": DefinitionCheck.of(request)})

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, DefinitionFormSet):
            kwargs["definition_check"] = DefinitionCheck.of(request)
        return kwargs

    def get_inline_formsets(
        self, request: HttpRequest, formsets: Any, inline_instances: Any, obj: Any = None
    ) -> list[Any]:
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            if isinstance(inline_formset.opts, ActionInline):
                inline_formset.__class__ = ActionAdminFormSet
        return inline_formsets

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if isinstance(formset, DefinitionFormSet):
            formset.save_in_order()
        else:
            super().save_formset(request, form, formset, change)

    # --- the audit trail: the definition before the save, and after the inlines are saved ---

    def save_model(self, request: HttpRequest, obj: Workflow, form: Any, change: bool) -> None:
        before = audit.workflow_snapshot(obj.pk) if change else None
        setattr(request, _BEFORE_ATTR, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        workflow = form.instance
        for advice in workflow_advice(get_compiled(Workflow.objects.get(pk=workflow.pk))):
            self.message_user(request, advice, messages.WARNING)
        self.record_change(
            request,
            name=workflow.name,
            action=audit.Action.CHANGED if change else audit.Action.CREATED,
            before=getattr(request, _BEFORE_ATTR, None),
            after=audit.workflow_snapshot(workflow.pk),
        )

    def audit_name(self, obj: Workflow) -> str:
        return obj.name

    def audit_snapshot(self, obj: Workflow) -> dict[str, Any] | None:
        return audit.workflow_snapshot(obj.pk)

    def history_url(self, request: HttpRequest, obj: Workflow) -> str | None:
        """The workflow's entries in "Definition changes", for those who may read them."""
        if not request.user.has_perm("workflows.view_definitionchange"):
            return None
        query = urlencode({"kind__exact": audit.Kind.WORKFLOW, "name": obj.name})
        return f"{reverse('admin:workflows_definitionchange_changelist')}?{query}"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.kind in RUNNABLE_KINDS and self.can_run(request, obj):
            extra_context["run_now_url"] = reverse("admin:workflows_workflow_run", args=[obj.pk])
        if obj is not None:
            extra_context["definition_history_url"] = self.history_url(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)
