"""Who may change the data model in the admin: superusers, and staff with
``workflows.change_data_model`` (the "Data model editors" group, docs/security.md#groups).
The view permission of a definition shows its pages read-only."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

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

    def form_target(
        self, request: HttpRequest, object_id: str | None
    ) -> tuple[Any, bool, bool] | HttpResponse:
        """For an add or change view of our own (Django's wraps its save in ``atomic()``,
        which a schema change cannot run in): ``(obj, add, can_change)``, Django's redirect
        when the object does not exist, or ``PermissionDenied`` as Django's views decide."""
        add = object_id is None
        obj = None if add else self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if not add and obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if add and not self.has_add_permission(request):
            raise PermissionDenied
        if not add and not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        can_change = (
            self.has_add_permission(request) if add else self.has_change_permission(request, obj)
        )
        if request.method == "POST" and not can_change:
            raise PermissionDenied
        return obj, add, can_change

    def form_context(
        self,
        request: HttpRequest,
        obj: Any,
        object_id: str | None,
        admin_form: Any,
        *,
        can_change: bool,
    ) -> dict[str, Any]:
        """What Django's change form template needs, for these views of our own."""
        verb = "Add" if obj is None else "Change" if can_change else "View"
        return {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"{verb} {self.opts.verbose_name}",  # type: ignore[attr-defined]
            "subtitle": str(obj) if obj else None,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "inline_admin_formsets": [],
            "preserved_filters": self.get_preserved_filters(request),  # type: ignore[attr-defined]
        }
