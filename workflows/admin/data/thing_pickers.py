"""How a thing's page picks the things a reference points to (a thing field, a list of
things, ``Created By``), for the user looking at it.

A ``<select>`` of every thing of the target type would be unbounded in size and would show
their names to anyone who may open the form, whatever they may see of that type. So:

* the target's admin can search it and the user may view it: Django's search box
  (autocomplete; its view checks the target's view permission again on every search);
* the user may view the target but its admin cannot search it: the thing's id, typed, with
  Django's lookup (a popup of the target's list) and the current thing's name beside it;
* the user may not view the target: the id alone — no name, no lookup — in the form, in a
  read-only page and in the list of things.

"May view" is the target admin's ``has_view_permission`` (its view or change permission),
or, for a model without an admin here, the model's own view or change permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget, ManyToManyRawIdWidget
from django.contrib.auth import get_permission_codename
from django.db import models
from django.http import HttpRequest

#: a reference shown by its ids on a read-only page is the admin's ``owner__ids``: no field
#: can be named so (``__`` is refused in names)
IDS_SUFFIX = "__ids"


def can_view(site: admin.AdminSite, request: HttpRequest, model: type[models.Model]) -> bool:
    """Whether the user may see things of ``model`` (their names included)."""
    try:
        related = site.get_model_admin(model)
    except admin.sites.NotRegistered:
        opts = model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )
    return bool(related.has_view_permission(request))


def is_searchable(site: admin.AdminSite, request: HttpRequest, model: type[models.Model]) -> bool:
    """Whether things of ``model`` can be found by typing in its admin (a search box)."""
    from .things import ThingAdmin

    try:
        related = site.get_model_admin(model)
    except admin.sites.NotRegistered:
        return False
    if isinstance(related, ThingAdmin):
        return bool(related.text_fields())
    return bool(related.get_search_fields(request))


class IdOnlyWidget(ForeignKeyRawIdWidget):
    """A thing's id, typed: no name beside it, no lookup (the user may not view its type)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["related_url"] = None
        context["link_label"] = None
        return context

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        return "", ""


class IdsOnlyWidget(ManyToManyRawIdWidget):
    """Things' ids, comma-separated, with no lookup (the user may not view their type)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["related_url"] = None
        return context


def raw_id_widget(
    db_field: models.Field, site: admin.AdminSite, *, visible: bool, using: str | None = None
) -> ForeignKeyRawIdWidget:
    """The id input of ``db_field``: Django's (name and lookup) when its type is
    ``visible`` to the user, else the id alone."""
    rel = db_field.remote_field
    if db_field.many_to_many:
        cls = ManyToManyRawIdWidget if visible else IdsOnlyWidget
    else:
        cls = ForeignKeyRawIdWidget if visible else IdOnlyWidget
    return cls(rel, site, using=using)


def ids_display(field: models.Field) -> Any:
    """A read-only reference as its things' ids (``12``, ``3, 7``): for a page or a list
    column of a user who may not view its type."""

    @admin.display(description=f"{field.verbose_name} (id)")
    def shown(thing: Any) -> str:
        if field.many_to_many:
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            ids = (
                through._base_manager.filter(**{f"{source}_id": thing.pk})
                .order_by("pk")
                .values_list(f"{target}_id", flat=True)
            )
            return ", ".join(str(i) for i in ids) or "-"
        value = getattr(thing, field.attname)
        return "-" if value is None else str(value)

    return shown
