"""The Option sets page: a set's name and description, and its options as an ordered table
— each option's display, and a column per attribute (Bubble's option attributes: a colour,
an order...). Options are reordered by dragging or with the arrows.

Saving is ``schema.save_option_set`` with the set and each row's option id, so renaming the
set or an option keeps every thing that picked it; deleting is ``delete_option_set``
(refused while a field uses the set). Both outside the admin's ``transaction.atomic()``
(see ``data_types``), with the data model's permission.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from ...data_model import schema
from ...models.data_model import DataField, OptionSet
from .permissions import DataModelPermissionsMixin

#: a value typed in an attribute's cell that is stored as a number
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")

#: the most options and attribute columns one save reads (a page's numbers are the
#: browser's to send: without a bound a small request could make the server work for hours)
MAX_OPTIONS, MAX_ATTRIBUTES = 1000, 100


class OptionSetForm(forms.ModelForm):
    class Meta:
        model = OptionSet
        fields = ("name", "description")
        help_texts = {
            "name": "What fields and workflows call it: Stage, Color. Letters, digits and _, "
            "starting with a letter.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"size": 30, "autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def _post_clean(self) -> None:
        """No model validation here: ``schema`` checks the set when it saves it."""


@dataclass
class OptionRow:
    """One row of the options table: what was typed, and its errors."""

    index: int
    id: int | None
    display: str
    cells: list[str]
    delete: bool = False
    errors: list[str] = field(default_factory=list)
    #: the attributes it had that are not plain text (shown and read back as JSON)
    raw_kinds: dict[str, bool] = field(default_factory=dict)


class OptionsTable:
    """The options and the attribute columns, from the saved set or from the POST."""

    def __init__(self, attributes: list[str], rows: list[OptionRow]) -> None:
        self.attributes = attributes
        self.rows = rows
        self.errors: list[str] = []

    @classmethod
    def of(cls, option_set: OptionSet | None) -> OptionsTable:
        options = list(option_set.options.order_by("position", "pk")) if option_set else []
        attributes: list[str] = []
        for option in options:
            attributes += [key for key in option.attributes if key not in attributes]
        rows = [
            OptionRow(
                index=i,
                id=o.pk,
                display=o.display,
                cells=[show_value(o.attributes.get(a)) for a in attributes],
                raw_kinds={a: not isinstance(v, str) for a, v in o.attributes.items()},
            )
            for i, o in enumerate(options)
        ]
        if not rows:
            rows = [OptionRow(index=0, id=None, display="", cells=[])]
        return cls(attributes, rows)

    @classmethod
    def posted(cls, data: Any, option_set: OptionSet | None) -> OptionsTable:
        saved = {o.pk: o for o in option_set.options.all()} if option_set else {}
        count = min(_int(data.get("attributes-TOTAL")) or 0, MAX_ATTRIBUTES)
        attributes = [str(data.get(f"attribute-{j}", "")).strip() for j in range(count)]
        total = _int(data.get("options-TOTAL")) or 0
        rows = []
        for i in range(min(total, MAX_OPTIONS)):
            prefix = f"options-{i}"
            option_id = _int(data.get(f"{prefix}-id"))
            option = saved.get(option_id) if option_id is not None else None
            rows.append(
                OptionRow(
                    index=_int(data.get(f"{prefix}-position")) or 0,
                    id=option.pk if option else None,
                    display=str(data.get(f"{prefix}-display", "")).strip(),
                    cells=[str(data.get(f"{prefix}-attr-{j}", "")) for j in range(count)],
                    delete=bool(data.get(f"{prefix}-DELETE")),
                    raw_kinds=(
                        {a: not isinstance(v, str) for a, v in option.attributes.items()}
                        if option
                        else {}
                    ),
                )
            )
        rows.sort(key=lambda r: r.index)
        return cls(attributes, rows)

    def kept(self) -> list[OptionRow]:
        return [r for r in self.rows if not r.delete and (r.display or r.id or any(r.cells))]

    def raw_options(self) -> list[Any]:
        """The options as ``save_option_set`` takes them; errors go on the rows."""
        options: list[Any] = []
        for row in self.kept():
            attributes = {}
            for name, cell in zip(self.attributes, row.cells, strict=False):
                if not cell.strip():
                    continue
                if not name:
                    row.errors.append("give this attribute's column a name")
                    continue
                attributes[name] = read_value(cell, raw=row.raw_kinds.get(name, False))
            if not row.display:
                row.errors.append("an option needs a display")
            options.append({"display": row.display, **attributes} if attributes else row.display)
        return options

    def attach(self, exc: schema.SchemaError) -> None:
        where = exc.where.split(".", 1)
        if len(where) == 2:
            for row in self.rows:
                if row.display.lower() == where[1].lower():
                    row.errors.append(_message(exc))
                    return
        self.errors.append(_message(exc))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(r.errors for r in self.rows)


def _errors(form: OptionSetForm, table: OptionsTable) -> helpers.AdminErrorList:
    """The page's errors, for the "Please correct the errors below" note."""
    errors = helpers.AdminErrorList(form, [])
    if table.errors:
        errors.append(table.errors)
    errors.extend(row.errors for row in table.rows if row.errors)
    return errors


def show_value(value: Any) -> str:
    """An attribute's value as its cell shows it: text as is, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def read_value(cell: str, *, raw: bool) -> Any:
    """What a cell holds: a number when it is one, else its text. ``raw`` (the value was
    not text before): JSON, so ``true`` or a list read back as they were."""
    text = cell.strip()
    if raw:
        try:
            return json.loads(text)
        except ValueError:
            return cell
    if NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return cell


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _message(exc: schema.SchemaError) -> str:
    text, prefix = str(exc), f"{exc.where}: "
    return text[len(prefix) :] if exc.where and text.startswith(prefix) else text


@admin.register(OptionSet)
class OptionSetAdmin(DataModelPermissionsMixin, admin.ModelAdmin):
    """Option sets and their ordered options (see the module's docstring)."""

    list_display = ("name", "options_shown", "used_by", "description")
    search_fields = ("name", "description", "options__display")
    change_form_template = "admin/workflows/optionset/change_form.html"
    actions = None
    change_list_template = "admin/workflows/data/change_list.html"
    delete_confirmation_template = "admin/workflows/data/delete_confirmation.html"
    object_history_template = "admin/workflows/data/object_history.html"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(option_count=Count("options"))

    @admin.display(description="options")
    def options_shown(self, obj: OptionSet) -> str:
        displays = [o.display for o in obj.options.order_by("position", "pk")[:6]]
        more = obj.option_count - len(displays)
        return ", ".join(displays) + (f" and {more} more" if more > 0 else "")

    @admin.display(description="used by")
    def used_by(self, obj: OptionSet) -> str:
        fields = DataField.objects.filter(option_set=obj, deleted_at__isnull=True)
        return ", ".join(str(f) for f in fields.select_related("data_type")) or "—"

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Django's add and change views without their ``transaction.atomic()``: saving is
        ``schema.save_option_set``."""
        target = self.form_target(request, object_id)
        if isinstance(target, HttpResponse):
            return target
        obj, add, can_change = target

        if request.method == "POST":
            form = OptionSetForm(request.POST, instance=obj)
            table = OptionsTable.posted(request.POST, obj)
            if form.is_valid():
                saved = self._save(request, obj, form, table)
                if saved is not None:
                    return self._saved_response(request, saved, add)
        else:
            form = OptionSetForm(instance=obj)
            table = OptionsTable.of(obj)
        if not can_change:
            for form_field in form.fields.values():
                form_field.disabled = True
        fieldsets = [(None, {"fields": ["name", "description"]})]
        admin_form = helpers.AdminForm(form, fieldsets, {}, model_admin=self)
        js = ["workflows/vendor/editor-libs.js", "workflows/data_model.js"]
        context = {
            **self.form_context(request, obj, object_id, admin_form, can_change=can_change),
            "media": self.media + admin_form.media + forms.Media(js=js),
            "errors": _errors(form, table),
            "table": table,
            "can_change": can_change,
            "used_by": list(DataField.objects.filter(option_set=obj).select_related("data_type"))
            if obj
            else [],
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return self.render_change_form(
            request, context, add=add, change=not add, obj=obj, form_url=form_url
        )

    def _save(
        self, request: HttpRequest, obj: OptionSet | None, form: OptionSetForm, table: OptionsTable
    ) -> OptionSet | None:
        options = table.raw_options()
        if table.has_errors:
            return None
        if not options:
            table.errors.append("an option set needs at least one option")
            return None
        raw = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data.get("description") or "",
            "options": options,
        }
        try:
            saved = schema.save_option_set(
                raw,
                user=request.user,
                source="admin",
                option_set=obj,
                option_ids=[r.id for r in table.kept()],
            )
        except schema.SchemaError as exc:
            if exc.key in ("name", "description") and "." not in exc.where:
                form.add_error(exc.key, _message(exc))
            else:
                table.attach(exc)
            return None
        if obj is None:
            self.log_addition(request, saved, [{"added": {}}])
        else:
            self.log_change(request, saved, "Options saved.")
        return saved

    def _saved_response(self, request: HttpRequest, obj: OptionSet, add: bool) -> HttpResponse:
        change_url = reverse("admin:workflows_optionset_change", args=[obj.pk])
        link = format_html('<a href="{}">{}</a>', change_url, obj)
        messages.success(
            request, format_html("The option set “{}” was {}.", link, "added" if add else "changed")
        )
        if "_continue" in request.POST:
            return HttpResponseRedirect(change_url)
        return HttpResponseRedirect(reverse("admin:workflows_optionset_changelist"))

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's confirmation page; the delete is ``schema.delete_option_set``."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        used = list(DataField.objects.filter(option_set=obj).select_related("data_type"))
        if request.method == "POST" and request.POST.get("post") == "yes" and not used:
            name = str(obj)
            try:
                schema.delete_option_set(obj, user=request.user, source="admin")
            except schema.SchemaError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"The option set “{name}” was deleted.")
                return HttpResponseRedirect(reverse("admin:workflows_optionset_changelist"))
        options = obj.options.count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Are you sure?",
            "subtitle": None,
            "object_name": str(self.opts.verbose_name),
            "object": obj,
            "deleted_objects": [
                f"The option set {obj.name}",
                f"{options} option{'s' if options != 1 else ''}: "
                + ", ".join(o.display for o in obj.options.order_by("position", "pk")[:20]),
            ],
            "model_count": [("option set", 1), ("options", options)],
            "perms_lacking": set(),
            "protected": [
                f"{f} (a field{' deleted, not purged' if f.is_deleted else ''} that picks from it)"
                for f in used
            ],
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "preserved_filters": self.get_preserved_filters(request),
            "is_popup": False,
            "to_field": None,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.delete_confirmation_template, context)
