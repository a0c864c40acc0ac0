"""Deleted fields on a data type's page: restore one with its data, or purge it after a
page saying what is lost (Bubble's deleted fields). Both through ``schema``
(``restore_field``, ``purge_field``), outside the admin's ``transaction.atomic()``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ...data_model import field_types, schema
from ...models.data_model import DataField


class DeletedFieldsMixin:
    """The restore and purge pages of ``DataTypeAdmin`` (mixed in before it)."""

    # --- URLs ------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/fields/<int:field_id>/restore/",
                wrap(self.restore_view),
                name="{}_{}_restore_field".format(*info),
            ),
            path(
                "<path:object_id>/fields/<int:field_id>/purge/",
                wrap(self.purge_view),
                name="{}_{}_purge_field".format(*info),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    # --- deleted fields: restore, purge -------------------------------------------------------

    def _deleted_field(self, request: HttpRequest, object_id: str, field_id: int) -> DataField:
        data_type = self.get_object(request, unquote(object_id))
        if data_type is None:
            raise Http404
        if not self.has_change_permission(request, data_type):
            raise PermissionDenied
        return get_object_or_404(
            DataField, pk=field_id, data_type=data_type, deleted_at__isnull=False
        )

    def restore_view(self, request: HttpRequest, object_id: str, field_id: int) -> HttpResponse:
        """Bring a deleted field back with its data; under another name if its own is taken
        (the page asks for one)."""
        field = self._deleted_field(request, object_id, field_id)
        data_type = field.data_type
        error = ""
        name = field.name
        if request.method == "POST":
            name = (request.POST.get("restore_name") or field.name).strip()
            try:
                schema.restore_field(field, name=name, user=request.user, source="admin")
            except schema.SchemaError as exc:
                error = str(exc).split(": ", 1)[-1]
            else:
                self.log_change(request, data_type, f"Restored the field “{name}”.")
                messages.success(request, f"The field “{name}” is back, with its data.")
                return HttpResponseRedirect(
                    reverse("admin:workflows_datatype_change", args=[data_type.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore the field “{field.name}” of {data_type.name}",
            "opts": self.opts,
            "original": data_type,
            "field": field,
            "restore_name": name,
            "crumb": f"Restore {field.name}",
            "error": error,
        }
        return TemplateResponse(request, "admin/workflows/datatype/restore_field.html", context)

    def purge_view(self, request: HttpRequest, object_id: str, field_id: int) -> HttpResponse:
        """Drop a deleted field's column and its data for good, once confirmed."""
        field = self._deleted_field(request, object_id, field_id)
        data_type = field.data_type
        if request.method == "POST" and request.POST.get("post") == "yes":
            try:
                schema.purge_field(field, user=request.user, source="admin")
            except schema.SchemaError as exc:
                messages.error(request, str(exc))
            else:
                self.log_change(request, data_type, f"Purged the deleted field “{field.name}”.")
                messages.success(
                    request, f"The field “{field.name}” and its data are gone for good."
                )
            return HttpResponseRedirect(
                reverse("admin:workflows_datatype_change", args=[data_type.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Are you sure?",
            "opts": self.opts,
            "original": data_type,
            "field": field,
            "kind": field_types.get(field.type).label,
            "holding": holding(field),
            "crumb": f"Purge {field.name}",
        }
        return TemplateResponse(request, "admin/workflows/datatype/purge_field.html", context)


def holding(field: DataField) -> int:
    """How many things hold a value in ``field`` (a deleted field, whose column is hidden):
    what purging it loses."""
    model, made = schema.field_alone(field)
    if made.many_to_many:
        through = made.remote_field.through
        return through._default_manager.values(made.m2m_field_name()).distinct().count()
    things = model._default_manager.exclude(**{f"{field.name}__isnull": True})
    if field.is_list:
        things = things.exclude(**{field.name: []})
    elif field.type in ("text", "file", "image"):
        things = things.exclude(**{field.name: ""})
    return things.count()
