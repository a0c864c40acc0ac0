"""A data type's page: "Make an option set…" of a text field's values
(``data_model.to_options``): the values it holds, most used first, a name for the set, then
the change — the field becomes an option field under its own name, each thing pointing at
its value's option."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ...data_model import schema
from ...data_model.registry import model_for_type
from ...data_model.to_options import MAX_OPTIONS, distinct_values, text_to_option_set
from ...models.data_model import DataField, DataType


def default_set_name(field: DataField) -> str:
    """``Unit`` + ``status`` → ``UnitStatus``."""
    words = re.split(r"[_\W]+", field.name)
    return field.data_type.name + "".join(w[:1].upper() + w[1:] for w in words if w)


def may_rewrite_things(user: Any, data_type: DataType) -> bool:
    """Whether ``user`` may see and change the things of ``data_type``: "Make an option
    set…" shows a field's values and rewrites every thing, so changing the data model alone
    (which shows no thing) is not enough."""
    model = model_for_type(data_type.pk)
    if model is None:
        return False
    opts = model._meta
    return user.has_perms(
        [f"{opts.app_label}.{get_permission_codename(a, opts)}" for a in ("view", "change")]
    )


class OptionSetFromTextMixin:
    """The data type admin's page turning a text field into an option set."""

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/fields/<int:field_id>/option-set/",
                wrap(self.option_set_view),
                name="{}_{}_option_set_from_text".format(*info),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def option_set_view(self, request: HttpRequest, object_id: str, field_id: int) -> HttpResponse:
        data_type = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if data_type is None:
            raise Http404
        if not self.has_change_permission(request, data_type):  # type: ignore[attr-defined]
            raise PermissionDenied
        field = get_object_or_404(
            DataField, pk=field_id, data_type=data_type, deleted_at__isnull=True, type="text"
        )
        if not may_rewrite_things(request.user, data_type):
            raise PermissionDenied
        name, error = default_set_name(field), ""
        if request.method == "POST":
            name = (request.POST.get("set_name") or "").strip()
            try:
                schema.check_name(name, what="option set")
                text_to_option_set(field, name, user=request.user)
            except schema.SchemaError as exc:
                error = str(exc).split(": ", 1)[-1]
            else:
                self.log_change(  # type: ignore[attr-defined]
                    request, data_type, f"Made the option set “{name}” of “{field.name}”."
                )
                messages.success(
                    request,
                    f"“{field.name}” is now an option of {name}; each thing kept its value. "
                    "The text field is among the deleted fields, its data kept.",
                )
                return HttpResponseRedirect(
                    reverse("admin:workflows_datatype_change", args=[data_type.pk])
                )
        values = distinct_values(field)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"Make an option set of “{field.name}”",
            "opts": self.opts,  # type: ignore[attr-defined]
            "original": data_type,
            "field": field,
            "values": values[:MAX_OPTIONS],
            "too_many": len(values) > MAX_OPTIONS,
            "max_options": MAX_OPTIONS,
            "set_name": name,
            "error": error,
            "crumb": f"Option set of {field.name}",
        }
        return TemplateResponse(
            request, "admin/workflows/datatype/option_set_from_text.html", context
        )
