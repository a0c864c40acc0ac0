"""Privacy rules in the admin: per data type, ordered, checked when saved, every change
recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from .. import audit, data_types
from ..models import PrivacyRule
from ..privacy.definitions import rule_definition
from ..privacy.rules import InvalidRule, broken_rules, compile_rule, viewable_field_names
from .audited import AuditedAdminMixin

_FORM_FIELD = {"condition": "condition", "view_fields": "view_fields", "data_type": "data_type"}


def _fields_help() -> str:
    lines = [
        f"<b>{data_types.label_of(model)}</b>: {', '.join(viewable_field_names(model))}"
        for model in data_types.allowed_models()
    ]
    return (
        "Without “view all fields”: the fields to show, separated by commas (the id is "
        "always shown).<br>" + "<br>".join(lines)
    )


class PrivacyRuleForm(forms.ModelForm):
    data_type = forms.ChoiceField(choices=())
    view_fields = forms.CharField(
        label="view these fields",
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "status, total"}),
    )

    class Meta:
        model = PrivacyRule
        fields = (
            "data_type",
            "name",
            "everyone_else",
            "condition",
            "view_all",
            "view_fields",
            "find_in_searches",
            "create_via_api",
            "modify_via_api",
            "delete_via_api",
            "position",
            "description",
        )
        widgets = {"condition": forms.Textarea(attrs={"rows": 2, "cols": 80})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_type"].choices = [(label, label) for label in data_types.allowed_labels()]
        self.fields["view_fields"].help_text = _fields_help()
        if self.instance.pk is not None:
            self.initial["view_fields"] = ", ".join(self.instance.view_fields or [])

    def clean_view_fields(self) -> list[str]:
        raw = self.cleaned_data.get("view_fields") or ""
        return [name.strip() for name in raw.replace("\n", ",").split(",") if name.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            compile_rule(
                data_type=data["data_type"],
                name=data.get("name") or "",
                everyone_else=data.get("everyone_else", False),
                condition=data.get("condition") or "",
                view_all=data.get("view_all", False),
                view_fields=data.get("view_fields") or [],
                find_in_searches=data.get("find_in_searches", False),
                create_via_api=data.get("create_via_api", False),
                modify_via_api=data.get("modify_via_api", False),
                delete_via_api=data.get("delete_via_api", False),
            )
        except InvalidRule as exc:
            self.add_error(_FORM_FIELD.get(exc.field, exc.field), exc.detail)
        if data.get("everyone_else"):
            data["name"] = ""
            clash = PrivacyRule.objects.filter(data_type=data["data_type"], everyone_else=True)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "everyone_else",
                    f"{data['data_type']} already has an everyone-else rule; change that one",
                )
        return data


@admin.register(PrivacyRule)
class PrivacyRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PrivacyRuleForm
    audit_kind = audit.Kind.PRIVACY_RULE
    list_display = (
        "data_type",
        "rule",
        "condition",
        "shows",
        "find_in_searches",
        "create_via_api",
        "modify_via_api",
        "delete_via_api",
        "position",
    )
    list_display_links = ("rule",)
    list_filter = ("data_type", "everyone_else")
    search_fields = ("name", "condition", "data_type")
    ordering = ("data_type", "everyone_else", "position", "id")
    fieldsets = (
        (None, {"fields": ("data_type", "name", "everyone_else", "condition", "position")}),
        ("This rule grants", {"fields": ("view_all", "view_fields", "find_in_searches")}),
        (
            "Data API",
            {
                "fields": ("create_via_api", "modify_via_api", "delete_via_api"),
                "description": "Creating, changing and deleting things through "
                "/api/1.1/obj/ is allowed only where a rule grants it.",
            },
        ),
        (None, {"fields": ("description",)}),
    )

    @admin.display(description="rule")
    def rule(self, obj: PrivacyRule) -> str:
        return "Everyone else (default permissions)" if obj.everyone_else else obj.name

    @admin.display(description="shows")
    def shows(self, obj: PrivacyRule) -> str:
        if obj.view_all:
            return "all fields"
        return ", ".join(obj.view_fields or []) or "nothing"

    def audit_snapshot(self, obj: PrivacyRule) -> dict[str, Any]:
        return rule_definition(obj)

    def save_model(self, request: HttpRequest, obj: PrivacyRule, form: Any, change: bool) -> None:
        stored = PrivacyRule.objects.filter(pk=obj.pk).first() if change else None
        obj.view_fields = form.cleaned_data.get("view_fields") or []
        super().save_model(request, obj, form, change)
        self.record_change(
            request,
            name=str(obj),
            action=audit.Action.CHANGED if change else audit.Action.CREATED,
            before=rule_definition(stored) if stored is not None else None,
            after=rule_definition(obj),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            covered = set(PrivacyRule.objects.values_list("data_type", flat=True))
            private = [label for label in data_types.allowed_labels() if label not in covered]
            if private:
                messages.info(
                    request,
                    "Without rules, these data types are private (only superusers and "
                    f"workflows that ignore privacy rules see them): {', '.join(private)}.",
                )
            for rule, reason in broken_rules():
                messages.error(request, f"{rule} grants nothing until it is fixed: {reason}")
        return super().changelist_view(request, extra_context)
