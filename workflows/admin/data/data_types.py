"""The Data types page: a builder defines a data type and its fields as in Bubble's Data
tab — the type's settings above, its fields as a table below — and deletes, restores and
purges fields (docs/data-types.md#in-the-admin).

Every change goes through ``workflows.data_model.schema`` (``source="admin"``, the staff
user as its author), all of one save in one ``schema_change``: one transaction, so a
problem anywhere changes nothing, and its ``SchemaError`` is shown on the input it names.
Django's own add, change and delete views run inside ``transaction.atomic()``, where a
schema change cannot run on SQLite: this admin has its own views instead (same templates).

Changing the data model needs ``workflows.change_data_model`` (or a superuser); the view
permission of data types shows the page read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from ...data_model import registry, schema
from ...models.data_model import DataField, DataType
from .data_type_forms import (
    DataTypeForm,
    FieldForm,
    attach_error,
    displayable_names,
    field_initial,
    field_type_info,
    option_set_choices,
    target_choices,
)
from .deleted_fields import DeletedFieldsMixin
from .option_set_from_text import OptionSetFromTextMixin, may_rewrite_things
from .permissions import DataModelPermissionsMixin

FIELDS_PREFIX = "fields"


def things_url(data_type: DataType) -> str | None:
    """The list of a type's things, when this process has built its model."""
    model = registry.model_for_type(data_type.pk)
    if model is None:
        return None
    return reverse(f"admin:things_{model._meta.model_name}_changelist")


def count_things(data_type: DataType) -> int | None:
    """How many things the type has: counted, unless PostgreSQL's statistics say the table
    is large (then their estimate: no full count of every big table on each view of the
    list)."""
    model = registry.model_for_type(data_type.pk)
    if model is None:
        return None
    estimate = schema.row_estimate(data_type)
    return estimate if estimate >= schema.LARGE_TABLE else model._default_manager.count()


@admin.register(DataType)
class DataTypeAdmin(
    OptionSetFromTextMixin, DeletedFieldsMixin, DataModelPermissionsMixin, admin.ModelAdmin
):
    """Data types and their fields (see the module's docstring)."""

    list_display = ("name", "plural_shown", "display_field", "field_count", "things", "summary")
    search_fields = ("name", "description", "fields__name")
    change_form_template = "admin/workflows/datatype/change_form.html"
    actions = None  # deleting goes through the delete page: it says what goes
    change_list_template = "admin/workflows/data/change_list.html"
    delete_confirmation_template = "admin/workflows/data/delete_confirmation.html"
    object_history_template = "admin/workflows/data/object_history.html"

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .annotate(
                live_fields=Count(
                    "fields", filter=Q(fields__deleted_at__isnull=True), distinct=True
                )
            )
        )

    @admin.display(description="plural", ordering="plural")
    def plural_shown(self, obj: DataType) -> str:
        return obj.plural_name

    @admin.display(description="fields", ordering="live_fields")
    def field_count(self, obj: DataType) -> int:
        return obj.live_fields

    @admin.display(description="things")
    def things(self, obj: DataType) -> str:
        registry.ensure_current_once()
        url, count = things_url(obj), count_things(obj)
        if url is None:
            return "—"
        return format_html('<a href="{}">{} {}</a>', url, count, obj.plural_name)

    @admin.display(description="description")
    def summary(self, obj: DataType) -> str:
        text = obj.description.strip().splitlines()
        return text[0][:80] if text else ""

    # --- add and change: the type and its fields table ----------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Django's add and change views, without their ``transaction.atomic()``: the save is
        one ``schema_change`` (see the module's docstring)."""
        target = self.form_target(request, object_id)
        if isinstance(target, HttpResponse):
            return target
        obj, add, can_change = target

        fields = list(obj.fields.filter(deleted_at__isnull=True)) if obj else []
        main, rows, formset, empty_row = self._forms(request, obj, fields)
        plan: list[str] = []
        if request.method == "POST" and self._valid(main, rows, formset):
            saved = self._save(request, obj, main, rows)
            if isinstance(saved, DataType):
                return self._saved_response(request, saved, add)
            plan = saved or []

        if not can_change:
            for form in [main, *rows]:
                for field in form.fields.values():
                    field.disabled = True
        fieldsets = [(None, {"fields": ["name", "plural", "display_field", "description"]})]
        admin_form = helpers.AdminForm(main, fieldsets, {}, model_admin=self)
        deleted = list(obj.fields.filter(deleted_at__isnull=False)) if obj else []
        context = {
            **self.form_context(request, obj, object_id, admin_form, can_change=can_change),
            "media": self.media + admin_form.media + forms.Media(js=["workflows/data_model.js"]),
            "errors": _errors(main, rows),
            "field_rows": rows,
            "fields_formset": formset,
            "field_errors": sum(1 for r in rows if r.errors),
            "empty_row": empty_row,
            "deleted_fields": deleted,
            "plan_notes": plan,
            "can_change": can_change,
            # "Make an option set…" shows and rewrites the things' values
            "can_change_things": obj is not None and may_rewrite_things(request.user, obj),
            "field_type_info": field_type_info(),
            "things_url": things_url(obj) if obj else None,
            "things_count": count_things(obj) if obj else None,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return self.render_change_form(
            request, context, add=add, change=not add, obj=obj, form_url=form_url
        )

    def _forms(
        self, request: HttpRequest, obj: DataType | None, fields: list[DataField]
    ) -> tuple[DataTypeForm, list[FieldForm], Any, FieldForm]:
        """The type's form, a row per field (saved ones first; a posted row is bound to
        the saved field its hidden id names), the formset's management form and the empty
        row "Add another field" copies."""
        data = request.POST if request.method == "POST" else None
        main = DataTypeForm(data, instance=obj, display_choices=displayable_names(obj))
        formset = forms.formset_factory(forms.Form, extra=0 if obj else 1)(
            data, initial=[{} for _ in fields], prefix=FIELDS_PREFIX
        )
        by_id = {f.pk: f for f in fields}
        choices = {"targets": target_choices(), "option_sets": option_set_choices()}
        rows = []
        readable = not formset.is_bound or formset.management_form.is_valid()
        total = min(formset.total_form_count(), 500) if readable else 0
        for index in range(total):
            prefix = formset.add_prefix(index)
            if data is not None:
                posted = str(data.get(f"{prefix}-id") or "")
                field = (
                    by_id.get(int(posted))
                    if posted.isascii() and posted.isdigit() and len(posted) < 19
                    else None
                )
            else:
                field = fields[index] if index < len(fields) else None
            row = FieldForm(
                data,
                prefix=prefix,
                initial=field_initial(field) if field else None,
                empty_permitted=field is None,
                use_required_attribute=False,
                **choices,
            )
            if field is not None:
                row.bind_field(field)
            rows.append(row)
        empty = FieldForm(
            prefix=formset.add_prefix("__prefix__"), use_required_attribute=False, **choices
        )
        return main, rows, formset, empty

    @staticmethod
    def _valid(main: DataTypeForm, rows: list[FieldForm], formset: Any) -> bool:
        valid = main.is_valid() and formset.management_form.is_valid()
        for row in rows:
            valid = row.is_valid() and valid
        return valid

    def _save(
        self,
        request: HttpRequest,
        obj: DataType | None,
        main: DataTypeForm,
        rows: list[FieldForm],
    ) -> DataType | list[str] | None:
        """Make the change, all of it or nothing. None: the data model refused it (the
        errors are on the forms). A list: what the change would do to a large table, said
        before it runs, until the builder confirms (``_confirm``)."""
        kept = [r for r in rows if r.has_changed() or not r.is_new]
        live = [r for r in kept if not r.is_new]
        adds = [r for r in kept if r.is_new and not r.cleaned_data.get("DELETE")]
        deletes = [r for r in live if r.cleaned_data.get("DELETE")]
        changes = [(r, r.changes()) for r in live if r not in deletes]
        changes = [(r, c) for r, c in changes if c]
        if obj is None:
            raw = {**main.raw(), "fields": [r.raw() for r in adds]}
            try:
                saved = schema.create_data_type(raw, user=request.user, source="admin")
            except schema.SchemaError as exc:
                attach_error(exc, main, rows)
                return None
            self.log_addition(request, saved, [{"added": {}}])
            return saved
        if "_confirm" not in request.POST:
            notes = [n for r in adds for n in schema.plan_add_field(obj, r.raw())]
            notes += [n for r, c in changes for n in schema.plan_change_field(r.field, c)]
            if notes:
                return notes
        current: FieldForm | None = None
        mentions: dict[str, list[str]] = {}
        try:
            with schema.schema_change(user=request.user, source="admin"):
                renamed: dict[str, str] = {}
                for current, changed in changes:
                    old = current.field.name
                    field = schema.change_field(current.field, changed)
                    if field.name != old:
                        renamed[old] = field.name
                        mentions[old] = getattr(field, "mentioned_in", [])
                for current in adds:
                    schema.add_field(obj, current.raw())
                current = None
                raw = main.raw()
                raw["display_field"] = renamed.get(raw["display_field"], raw["display_field"])
                obj.refresh_from_db()
                type_changed = any(raw[k] != getattr(obj, k) for k in raw)
                if type_changed:
                    schema.change_data_type(obj, raw)
                for current in deletes:
                    schema.delete_field(current.field)
                current = None
        except schema.SchemaError as exc:
            attach_error(exc, main, rows, current)
            return None
        obj.refresh_from_db()
        summary = [
            f"{len(done)} field(s) {what}"
            for done, what in ((adds, "added"), (changes, "changed"), (deletes, "deleted"))
            if done
        ]
        if type_changed:
            summary.insert(0, "its settings changed")
        if summary:
            self.log_change(request, obj, f"{', '.join(summary).capitalize()}.")
        for old, found in mentions.items():
            if found:
                messages.warning(
                    request,
                    f"“{old}” was renamed; these still mention “{old}” and need changing: "
                    f"{', '.join(found)}.",
                )
        return obj

    def _saved_response(self, request: HttpRequest, obj: DataType, add: bool) -> HttpResponse:
        link = format_html(
            '<a href="{}">{}</a>', reverse("admin:workflows_datatype_change", args=[obj.pk]), obj
        )
        verb = "added" if add else "changed"
        if "_continue" in request.POST or add:
            messages.success(
                request,
                format_html("The data type “{}” was {}. You may edit it again below.", link, verb)
                if not add
                else format_html(
                    "The data type “{}” was added, with its table. Its things are in the "
                    "Data section.",
                    link,
                ),
            )
            return HttpResponseRedirect(reverse("admin:workflows_datatype_change", args=[obj.pk]))
        messages.success(request, format_html("The data type “{}” was {}.", link, verb))
        return HttpResponseRedirect(reverse("admin:workflows_datatype_changelist"))

    # --- deleting a type ----------------------------------------------------------------------

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's confirmation page, listing what goes (the table and its things); the
        delete itself is ``schema.delete_data_type``, outside ``transaction.atomic()``."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        pointing = list(
            DataField.objects.filter(target_type=obj)
            .exclude(data_type=obj)
            .select_related("data_type")
        )
        if request.method == "POST" and request.POST.get("post") == "yes" and not pointing:
            name = str(obj)
            try:
                schema.delete_data_type(obj, user=request.user, source="admin")
            except schema.SchemaError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, f"The data type “{name}” was deleted, with its table and things."
                )
                return HttpResponseRedirect(reverse("admin:workflows_datatype_changelist"))
        registry.ensure_current_once()
        things = count_things(obj) or 0
        fields = obj.fields.count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Are you sure?",
            "subtitle": None,
            "object_name": str(self.opts.verbose_name),
            "object": obj,
            "deleted_objects": [
                f"The data type {obj.name} and its table",
                f"{fields} field{'s' if fields != 1 else ''}, deleted ones included",
                f"{things} {obj.plural_name if things != 1 else obj.name}: every value in them",
            ],
            "model_count": [
                ("data type", 1),
                ("fields", fields),
                (capfirst(obj.plural_name), things),
            ],
            "perms_lacking": set(),
            "protected": [
                f"{f} (a field of {f.data_type.name} that points to {obj.name})" for f in pointing
            ],
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "preserved_filters": self.get_preserved_filters(request),
            "is_popup": False,
            "to_field": None,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.delete_confirmation_template, context)


def _errors(main: DataTypeForm, rows: list[FieldForm]) -> helpers.AdminErrorList:
    """The page's errors, for the "Please correct the errors below" note: the type's and
    each field row's."""
    errors = helpers.AdminErrorList(main, [])
    for row in rows:
        errors.extend(row.errors.values())
    return errors
