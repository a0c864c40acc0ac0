"""API keys: created in the admin (the key is shown once), stored hashed, revoked by action.

``APIKeyModelAdmin`` from djangorestframework-api-key does the "shown once" part in
``save_model``; revoking goes through ``services.api_key_revoke`` like everything else.
A key's scope (which workflows, whether the Data API) and expiry are edited here and apply
from the key's next request. The library's own ``APIKey`` model is unused here, so its
admin page is removed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from ..choices import WorkflowKind
from ..models import ApiKey, Workflow
from ..services import api_key_revoke

if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)

SCOPE_FIELDS = ("allowed_workflows", "allow_data_api", "expiry_date")


class ApiKeyForm(forms.ModelForm):
    """Picks the scope's workflows from the API workflows by name (names are what is stored,
    so a key keeps its scope across exports and imports)."""

    allowed_workflows = forms.MultipleChoiceField(
        label="workflows",
        required=False,
        widget=FilteredSelectMultiple("workflows", is_stacked=False),
        help_text="The API workflows this key may run (REST and /schedule), and whose runs "
        "and scheduled runs it may read. None chosen: every workflow its user may run.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "user", "revoked", *SCOPE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "allowed_workflows" not in self.fields:
            return  # read-only here (a revoked key, a viewer)
        names = set(Workflow.objects.filter(kind=WorkflowKind.API).values_list("name", flat=True))
        stored = set(self.instance.allowed_workflows or [])
        choices = [(n, n) for n in sorted(names)]
        # a scoped workflow since renamed or deleted stays visible (and removable)
        choices += [(n, f"{n} (no such workflow)") for n in sorted(stored - names)]
        self.fields["allowed_workflows"].choices = choices

    def clean_allowed_workflows(self) -> list[str]:
        return sorted(set(self.cleaned_data["allowed_workflows"]))


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    form = ApiKeyForm
    list_display = (
        "prefix",
        "name",
        "user",
        "scope",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "allow_data_api", "created")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username", "user__email")
    autocomplete_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("name", "user", "prefix", "created", "last_used_at", "revoked")}),
        (
            "Scope and expiry",
            {
                "fields": SCOPE_FIELDS,
                "description": "What this key may do beyond its user's own rights; changes "
                "apply from the key's next request.",
            },
        ),
    )
    actions = ("revoke_selected",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = (*super().get_readonly_fields(request, obj), "created", "last_used_at")
        if obj is not None:
            fields += ("user",)  # a key never changes hands
            if obj.revoked:
                fields += SCOPE_FIELDS  # a revoked key is final
        return tuple(dict.fromkeys(fields))

    @admin.display(description="scope")
    def scope(self, obj: ApiKey) -> str:
        names = obj.allowed_workflows or []
        workflows = "all workflows" if not names else ", ".join(names[:3])
        if len(names) > 3:
            workflows += f" and {len(names) - 3} more"
        return workflows + ("; Data API" if obj.allow_data_api else "; no Data API")

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for api_key in queryset.filter(revoked=False):
            api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)
