"""Operator secrets in the admin: values are write-only, environment secrets read-only.

A value is typed into a password input that never renders it back; it is encrypted on
save (``workflows.secrets.set_secret``) and no page, list or history entry ever shows it.
Secrets set as ``BUBBLE_SECRET_<NAME>`` environment variables are listed above the table
for reference and cannot be edited here (the environment wins). Every change is recorded in
the audit trail by name and description; the value only as "changed".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from .. import audit, secrets
from ..masking import MASK
from ..models import Secret
from .audited import AuditedAdminMixin


class SecretForm(forms.ModelForm):
    value = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again. Expressions read it as secrets.NAME.",
    )

    class Meta:
        model = Secret
        fields = ("name", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["value"].help_text = (
                "Leave empty to keep the current value. " + self.fields["value"].help_text
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in secrets.env_secrets():
            raise forms.ValidationError(
                f"{name} is set by the environment ({secrets.ENV_PREFIX}{name}), which wins; "
                "change it there."
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("value"):
            self.add_error("value", "A new secret needs a value.")
        return cleaned

    def save(self, commit: bool = True) -> Secret:
        value = self.cleaned_data.get("value")
        if value:
            self.instance.encrypted_value = secrets.encrypt(value)
        return super().save(commit)


@admin.register(Secret)
class SecretAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = SecretForm
    audit_kind = audit.Kind.SECRET
    fields = ("name", "value", "description", "updated_at")
    readonly_fields = ("updated_at",)
    list_display = ("name", "description", "updated_at")
    search_fields = ("name", "description")
    change_list_template = "admin/workflows/secret/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # renaming would silently break every workflow reading secrets.OLD_NAME
        return ("name", "updated_at") if obj is not None else ("updated_at",)

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add=False):
        """History says the value changed, never what it was (``value`` is not a model
        field, so Django's message would not name it)."""
        message = super().construct_change_message(request, form, formsets, add)
        if not add and form.cleaned_data.get("value"):
            message.append({"changed": {"fields": ["value"]}})
        return message

    # --- the audit trail: never a value, only that it changed ---------------------------------

    def save_model(self, request: HttpRequest, obj: Secret, form: Any, change: bool) -> None:
        stored = Secret.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        after = _snapshot(obj)
        if form.cleaned_data.get("value"):
            after["value"] = f"{MASK} (new value)"
        self.record_change(
            request,
            name=obj.name,
            action=audit.Action.CHANGED if change else audit.Action.CREATED,
            before=_snapshot(stored) if stored is not None else None,
            after=after,
        )

    def audit_snapshot(self, obj: Secret) -> dict[str, Any]:
        return _snapshot(obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        extra_context["env_secrets"] = [
            {"name": name, "variable": f"{secrets.ENV_PREFIX}{name}"}
            for name in sorted(secrets.env_secrets())
        ]
        return super().changelist_view(request, extra_context)


def _snapshot(secret: Secret) -> dict[str, Any]:
    """What the audit trail keeps of a secret: never its value (nor its ciphertext)."""
    return {"name": secret.name, "description": secret.description, "value": MASK}
