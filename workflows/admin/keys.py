"""API keys: created in the admin (the key is shown once), stored hashed, revoked by action.

``APIKeyModelAdmin`` from djangorestframework-api-key does the "shown once" part in
``save_model``; revoking goes through ``services.api_key_revoke`` like everything else.
The library's own ``APIKey`` model is unused here, so its admin page is removed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from ..models import ApiKey
from ..services import api_key_revoke

if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "created")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username", "user__email")
    autocomplete_fields = ("user",)
    fields = ("name", "user", "prefix", "created", "last_used_at", "expiry_date", "revoked")
    actions = ("revoke_selected",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = (*super().get_readonly_fields(request, obj), "created", "last_used_at")
        if obj is not None:
            fields += ("user",)  # a key never changes hands
        return fields

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for api_key in queryset.filter(revoked=False):
            api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)
