"""User tokens in the admin: who is logged in where, and revoking log-ins.

Tokens are made only by logging in (``sign_up``, ``log_user_in``); here they are listed
(by user, never with their secret: only a hash is stored), and revoked one by one or all of
a user's at once, through ``workflows.tokens`` like the ``log_user_out`` action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import UserToken
from ..tokens import user_token_revoke, user_tokens_revoke_all

FIELDS = (
    "prefix",
    "user",
    "name",
    "stay_logged_in",
    "created",
    "last_used_at",
    "expiry_date",
    "expires_at",
    "revoked",
)


@admin.register(UserToken)
class UserTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "stay_logged_in",
        "created",
        "last_used_at",
        "expires_at",
        "_has_expired",
        "revoked",
    )
    list_filter = (("user", admin.RelatedOnlyFieldListFilter), "revoked", "stay_logged_in")
    list_select_related = ("user",)
    search_fields = ("prefix", "user__username", "user__email")
    date_hierarchy = "created"
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ("revoke_selected", "revoke_all_of_their_users")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is made by logging in, and shown only to whoever logged in

    @admin.display(description="expires (if unused)")
    def expires_at(self, obj: UserToken) -> Any:
        return obj.expires_at

    @admin.action(description="Revoke selected tokens (log them out)", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for token in queryset.filter(revoked=False):
            user_token_revoke(token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    @admin.action(
        description="Revoke every token of the selected tokens' users (log them out everywhere)",
        permissions=["change"],
    )
    def revoke_all_of_their_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        users = {token.user for token in queryset.select_related("user")}
        count = sum(user_tokens_revoke_all(user=user) for user in users)
        self.message_user(
            request, f"Revoked {count} token(s) of {len(users)} user(s).", messages.SUCCESS
        )
