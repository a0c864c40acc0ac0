"""The admin pages of one data type's things (the "Data" section): list, add, change and
delete, made for the model built now (``workflows.admin_site`` makes a ``ThingAdmin`` per
data type after each build, under ``/admin/things/t<id>/``).

The list shows the display field, a few fields and Bubble's Created and Modified Dates; it
searches the text fields (and finds a thing by its unique id). The form has a plain input
per kind of field (``thing_fields``): a select of the set's options for an option; for a
thing, a search box or its id, and its name only to a user who may view its type
(``thing_pickers``).
A save is checked as a workflow's is (``workflows.actions.data.save_thing``): required and
unique fields, and values no database can store, are errors on their field.

Who may do what is Django's own permissions of each type (``things.view_t5``,
``add_t5``, ``change_t5``, ``delete_t5``, made with the type), or a superuser. As every
data type's admin, it offers guardian's "Object permissions" page (privacy grants).

The list's Upload CSV and Export CSV pages are ``things_csv``'s.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedFieldListFilter
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format

from ... import data_types
from ...actions.data import save_thing
from ...bubble_fields import ListField
from ...data_model.fields import AddressField, FileUrlField
from ...exceptions import WorkflowError
from ...models.data_model import DataField, Option
from ..object_permissions import ObjectPermissionsAdminMixin
from . import thing_fields, thing_pickers
from .things_csv import ThingsCsvMixin

#: Bubble's built-in fields, shown read-only on a thing's page
BUILT_IN = ("unique_id", "created_date", "modified_date", "created_by")
#: how many of the type's fields the list shows besides its display field
LIST_COLUMNS = 3


def is_option(field: models.Field) -> bool:
    return field.is_relation and field.related_model is Option


class OptionListFilter(RelatedFieldListFilter):
    """Filter by an option: the options of the field's own set, not every option."""

    def field_choices(self, field: Any, request: Any, model_admin: Any) -> list[Any]:
        sets = model_admin.option_sets()
        options = Option.objects.filter(option_set_id=sets.get(field.name))
        return [(o.pk, o.display) for o in options.order_by("position", "pk")]


class StorableFormMixin:
    """Values a database cannot store or give back (``data_types.storable_problem``) are
    errors on their field, as every other path that writes a thing refuses them."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        for name, value in list(cleaned.items()):
            problem = data_types.storable_problem(value)
            if problem is not None:
                self.add_error(name, problem)  # type: ignore[attr-defined]
        return cleaned


class ThingAdmin(ThingsCsvMixin, ObjectPermissionsAdminMixin, admin.ModelAdmin):
    """One data type's things (see the module's docstring)."""

    ordering = ("-created_date", "-pk")
    list_per_page = 50
    show_full_result_count = True

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        # ``owner__ids``: a reference on a read-only page, for a user who may not view its type
        for f in self.references():
            setattr(self, f"{f.name}{thing_pickers.IDS_SUFFIX}", thing_pickers.ids_display(f))

    # --- the model's fields, by kind ------------------------------------------------------

    def own_fields(self) -> list[models.Field]:
        """The fields the builder defined, in their order (lists of things too)."""
        meta = self.model._meta
        fields = [f for f in meta.fields if f.name not in BUILT_IN and f.name != "id"]
        return sorted([*fields, *meta.many_to_many], key=lambda f: f.creation_counter)

    @cached_property
    def definitions(self) -> dict[str, tuple[str, int | None]]:
        """Each field's type (``image``...) and option set, by name: what the model's
        fields do not say (an admin is made per build of the models: it stays true)."""
        rows = DataField.objects.filter(
            data_type_id=self.model.DATA_TYPE_ID, deleted_at__isnull=True
        ).values_list("name", "type", "option_set_id")
        return {name: (kind, option_set) for name, kind, option_set in rows}

    def option_sets(self) -> dict[str, int | None]:
        """Option fields' sets, by field name."""
        return {name: option_set for name, (_, option_set) in self.definitions.items()}

    def text_fields(self) -> list[str]:
        return [
            f.name
            for f in self.model._meta.fields
            if isinstance(f, models.TextField)
            and not isinstance(f, FileUrlField)
            and f.name not in BUILT_IN
        ]

    def references(self) -> list[models.Field]:
        """The fields pointing at things (not options): its own, then ``Created By``."""
        created_by = self.model._meta.get_field("created_by")
        return [f for f in self.own_fields() if f.is_relation and not is_option(f)] + [created_by]

    def hidden_references(self, request: HttpRequest) -> set[str]:
        """The references whose type the user may not view: shown by id alone."""
        return {
            f.name
            for f in self.references()
            if not thing_pickers.can_view(self.admin_site, request, f.related_model)
        }

    # --- the list ------------------------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        display = self.model.DISPLAY_FIELD
        columns: list[Any] = [display or "__str__"]
        hidden = self.hidden_references(request)
        for field in self.own_fields():
            if len(columns) > LIST_COLUMNS or field.name == display:
                continue
            if field.many_to_many or isinstance(field, ListField | AddressField):
                continue
            columns.append(
                thing_pickers.ids_display(field) if field.name in hidden else column(field)
            )
        meta = self.model._meta
        return [
            *columns,
            column(meta.get_field("created_date")),
            column(meta.get_field("modified_date")),
        ]

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> list[Any]:
        return list_display[:1]

    def get_search_fields(self, request: HttpRequest | None) -> list[str]:
        return [*self.text_fields(), "=unique_id"]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters: list[Any] = []
        for field in self.own_fields():
            if isinstance(field, models.BooleanField):
                filters.append(field.name)
            elif is_option(field) and not field.many_to_many:
                filters.append((field.name, OptionListFilter))
        return filters

    # --- the form ------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        read_only = obj is not None and not self.has_change_permission(request, obj)
        mine = [f.name for f in self.own_fields()]
        if read_only:
            mine = self._by_id(request, mine)
        fieldsets: list[Any] = [(None, {"fields": mine})]
        if obj is not None:
            fieldsets.append(
                (
                    "Built-in fields",
                    {
                        "fields": self._by_id(request, BUILT_IN),
                        "description": "Set when the thing is made or changed.",
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self._by_id(request, BUILT_IN) if obj is not None else ()

    def _by_id(self, request: HttpRequest, names: Any) -> tuple[str, ...]:
        """``names`` read-only, the references the user may not view as their ids."""
        hidden = self.hidden_references(request)
        return tuple(f"{n}{thing_pickers.IDS_SUFFIX}" if n in hidden else n for n in names)

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        """References to things of a type whose admin can search them and the user may
        view: a search box (``thing_pickers``)."""
        site = self.admin_site
        return [
            f.name
            for f in self.references()
            if f.editable
            and thing_pickers.can_view(site, request, f.related_model)
            and thing_pickers.is_searchable(site, request, f.related_model)
        ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (StorableFormMixin, form), {"__module__": __name__})

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs):
        required = not db_field.blank
        help_text = db_field.help_text
        if isinstance(db_field, FileUrlField):
            kind = self._kind(db_field.name)
            return forms.CharField(
                label=db_field.verbose_name,
                required=required,
                widget=thing_fields.url_input(kind if kind in ("file", "image") else "file"),
                help_text=help_text or "Its address (URL).",
            )
        if isinstance(db_field, ListField):
            return thing_fields.LinesField(
                of=db_field.of,
                label=db_field.verbose_name,
                help_text=" ".join(filter(None, [help_text, _lines_help(db_field.of)])),
            )
        if isinstance(db_field, AddressField):
            return thing_fields.AddressField(
                label=db_field.verbose_name,
                required=required,
                help_text=help_text or "The address, then its latitude and longitude.",
            )
        if isinstance(db_field, models.BooleanField):
            kwargs["widget"] = thing_fields.YesNoSelect()
        elif isinstance(db_field, models.TextField):
            kwargs["widget"] = thing_fields.TextWidget()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if is_option(db_field):
            kwargs["queryset"] = self._options(db_field)
            kwargs["empty_label"] = "—"
        elif db_field.name not in self.get_autocomplete_fields(request):
            kwargs["widget"] = self._id_input(db_field, request, kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if is_option(db_field):
            kwargs["queryset"] = self._options(db_field)
            kwargs["widget"] = forms.CheckboxSelectMultiple
            formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
            formfield.help_text = db_field.help_text
            return formfield
        if db_field.name not in self.get_autocomplete_fields(request):
            kwargs["widget"] = self._id_input(db_field, request, kwargs.get("using"))
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        formfield.help_text = db_field.help_text  # not Django's "Hold down Control..."
        return formfield

    def _id_input(self, db_field: Any, request: HttpRequest, using: str | None) -> Any:
        """Never a list of every thing: their ids, typed (``thing_pickers``)."""
        visible = thing_pickers.can_view(self.admin_site, request, db_field.related_model)
        return thing_pickers.raw_id_widget(db_field, self.admin_site, visible=visible, using=using)

    def _kind(self, name: str) -> str:
        return self.definitions.get(name, ("", None))[0]

    def _options(self, db_field: Any) -> models.QuerySet:
        option_set = self.definitions.get(db_field.name, ("", None))[1]
        return Option.objects.filter(option_set_id=option_set).order_by("position", "pk")

    # --- saving: checked as a workflow's save is ------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_thing(obj, [])  # lists of things: the form's save_m2m, after this

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A save the form's checks let through but the database refused meanwhile (another
        save took the unique value) is a message, not a server error."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WorkflowError as exc:
            messages.error(request, f"Not saved: {exc}")
            return HttpResponseRedirect(request.get_full_path())


def column(field: models.Field) -> Any:
    """A list column: numbers as a builder typed them (12, not 12.0), dates short
    (Mar 1, 2025 09:30), so the list fits a laptop; the rest as Django shows them."""
    if isinstance(field, models.FloatField):

        @admin.display(description=field.verbose_name, ordering=field.name)
        def number(thing: Any) -> str:
            value = getattr(thing, field.name)
            if value is None:
                return "-"
            whole = float(value).is_integer() and abs(value) < 1e15
            return str(int(value)) if whole else str(value)

        return number
    if isinstance(field, models.DateTimeField):

        @admin.display(description=field.verbose_name, ordering=field.name)
        def moment(thing: Any) -> str:
            value = getattr(thing, field.name)
            return "-" if value is None else date_format(timezone.localtime(value), "M j, Y H:i")

        return moment
    return field.name


def _lines_help(of: str) -> str:
    if of == "date":
        return "One date per line (2025-01-31 or 2025-01-31 14:30)."
    if of == "number":
        return "One number per line."
    return "One per line."


def thing_admin(model: type[models.Model], site: admin.AdminSite) -> ThingAdmin:
    """The admin of a built model's things, for ``site``."""
    return ThingAdmin(model, site)
