"""Who may change the data model in the admin: superusers, and staff with
``workflows.change_data_model`` (the "Data model editors" group, docs/security.md#groups).
The view permission of a definition shows its pages read-only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

CHANGE_DATA_MODEL = "workflows.change_data_model"


def can_change_data_model(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(CHANGE_DATA_MODEL))


class DataModelPermissionsMixin:
    """Adding, changing and deleting data types and option sets is changing the data
    model: one permission for all of it, whatever the model's own add/change/delete say."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_change_data_model(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_change_data_model(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_change_data_model(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_change_data_model(request) or super().has_view_permission(request, obj)  # type: ignore[misc]
