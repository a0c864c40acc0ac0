"""The workflow editor's forms: the workflow itself, a parameter row, an action.

The action form is built per request from the action registry (``action_form_class``):
common keys (position, id, type, label, only_when) plus every type's config fields, see
``config_fields``. Each form also knows how to describe its row as a definition entry
(docs/workflow-format.md), which ``definition_check`` compiles as one workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.html import format_html

from .. import data_types
from ..actions import registry
from ..actions.registry import ActionType
from ..choices import TriggerEvent, WorkflowKind
from ..models import Action, Parameter, Workflow
from . import config_fields

if TYPE_CHECKING:
    from .definition_check import DefinitionCheck


def data_type_choices() -> list[tuple[str, str]]:
    return [("", "---------"), *((label, label) for label in data_types.allowed_labels())]


def action_type_choices() -> list[tuple[str, Any]]:
    """Registered action types grouped by family, each shown as "label (name)"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for action in registry.all_types():
        groups.setdefault(action.family, []).append(
            (action.name, f"{action.label} ({action.name})")
        )
    return [("", "---------"), *((family.title(), items) for family, items in groups.items())]


def _choice_values(choices: Any) -> set[str]:
    values: set[str] = set()
    for value, label in choices:
        if isinstance(label, list | tuple):
            values |= {str(v) for v, _ in label}
        else:
            values.add(str(value))
    return values


def keep_current_choice(field: forms.Field, value: Any, note: str = "not available") -> None:
    """Add ``value`` to a select's options when it is not one of them.

    Otherwise the browser would show (and send back) the blank option and a stored value
    would be lost silently; sent back as is, validation names what is wrong with it.
    """
    if value in (None, ""):
        return
    if isinstance(field, forms.ChoiceField):
        if str(value) not in _choice_values(field.choices):
            field.choices = [*field.choices, (value, f"{value} ({note})")]
    elif isinstance(field.widget, forms.Select) and str(value) not in _choice_values(
        field.widget.choices
    ):
        field.widget.choices = [*field.widget.choices, (value, f"{value} ({note})")]


class PositionField(forms.IntegerField):
    """Order of a row; blank appends it. Rows are renumbered 1..n when saved (step 1 first)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"style": "width: 5em"}))
        kwargs.setdefault("help_text", "Order; leave blank to add at the end.")
        super().__init__(**kwargs)


class BlankNullJSONField(forms.JSONField):
    """A JSON field that shows nothing (rather than ``null``) for no value."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


class WorkflowForm(forms.ModelForm):
    """The workflow's own fields; trigger settings are cleared unless it is a trigger."""

    data_type = forms.ChoiceField(
        choices=data_type_choices,
        required=False,
        help_text="Triggers: the data type watched.",
    )
    trigger_on = forms.MultipleChoiceField(
        label="fires on",
        choices=TriggerEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Triggers: the changes that fire it.",
    )
    schedule = BlankNullJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text='Run on a schedule, as JSON: {"cron": "0 3 * * *"} or '
        '{"every": "1 day", "start": "2026-01-01T03:00:00Z", "end": null}. Empty: no schedule.',
    )
    webhook = BlankNullJSONField(
        label="webhook signature",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text='Require signed requests, as JSON: {"secret": "STRIPE_WEBHOOK_SECRET", '
        '"scheme": "stripe", "tolerance": 300} or {"secret": "GITHUB_WEBHOOK_SECRET", '
        '"scheme": "hmac", "header": "X-Hub-Signature-256", "algorithm": "sha256", '
        '"encoding": "hex", "prefix": "sha256="}. "secret" is the NAME of an operator secret, '
        "never the value. Empty: no signature required. See docs/webhooks.md.",
    )
    #: set per request by ``WorkflowAdmin.get_form``
    definition_check: ClassVar[DefinitionCheck | None] = None

    class Meta:
        model = Workflow
        fields = (
            "name",
            "kind",
            "description",
            "expose",
            "auth",
            "ignore_privacy",
            "only_when",
            "condition_not_met",
            "commit",
            "timeout",
            "retries",
            "retry_delay",
            "missed_after",
            "data_type",
            "trigger_on",
            "schedule",
            "webhook",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "only_when": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "data_type" in self.fields:
            keep_current_choice(self.fields["data_type"], self.initial.get("data_type"))
        if self.definition_check is not None:
            self.definition_check.main_form = self

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") != WorkflowKind.TRIGGER:
            # Like workflow_definition: trigger settings mean nothing for other kinds.
            cleaned["data_type"] = ""
            cleaned["trigger_on"] = []
        return cleaned

    def definition(self) -> dict[str, Any]:
        """The workflow-level keys of the definition (parameters and actions come later)."""
        cd = self.cleaned_data
        d: dict[str, Any] = {"name": cd.get("name"), "kind": cd.get("kind")}
        if cd.get("description"):
            d["description"] = cd["description"]
        d["expose"] = bool(cd.get("expose"))
        d["auth"] = cd.get("auth")
        d["ignore_privacy"] = bool(cd.get("ignore_privacy"))
        if cd.get("only_when"):
            d["only_when"] = cd["only_when"]
        d["condition_not_met"] = cd.get("condition_not_met")
        if cd.get("commit"):
            d["commit"] = cd["commit"]
        d["timeout"] = cd.get("timeout")
        for key in ("retries", "retry_delay", "missed_after"):
            if cd.get(key) is not None:
                d[key] = cd[key]
        if cd.get("kind") == WorkflowKind.TRIGGER:
            d["data_type"] = cd.get("data_type") or ""
            d["on"] = list(cd.get("trigger_on") or [])
        if cd.get("schedule"):
            d["schedule"] = cd["schedule"]
        if cd.get("webhook"):
            d["webhook"] = cd["webhook"]
        return d


class ParameterForm(forms.ModelForm):
    position = PositionField()
    data_type = forms.ChoiceField(
        choices=data_type_choices, required=False, help_text="For type thing."
    )
    default = BlankNullJSONField(
        required=False,
        widget=forms.TextInput(attrs={"size": 12}),
        help_text='JSON, e.g. "hello", 3, true, ["a", "b"].',
    )

    #: parameter definition key → form field
    FIELD_OF: ClassVar[dict[str, str]] = {
        "key": "key",
        "type": "type",
        "data_type": "data_type",
        "list": "is_list",
        "optional": "optional",
        "default": "default",
        "description": "description",
        "secret": "secret",
    }

    class Meta:
        model = Parameter
        fields = (
            "key",
            "type",
            "data_type",
            "is_list",
            "optional",
            "default",
            "description",
            "secret",
            "position",
        )
        widgets = {"description": forms.TextInput(attrs={"size": 30})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        keep_current_choice(self.fields["data_type"], self.initial.get("data_type"))

    def definition(self) -> dict[str, Any]:
        cd = self.cleaned_data
        d: dict[str, Any] = {"key": cd.get("key"), "type": cd.get("type")}
        if cd.get("data_type"):
            d["data_type"] = cd["data_type"]
        if cd.get("is_list"):
            d["list"] = True
        if cd.get("optional"):
            d["optional"] = True
        if cd.get("default") is not None:
            d["default"] = cd["default"]
        if cd.get("description"):
            d["description"] = cd["description"]
        if cd.get("secret"):
            d["secret"] = True
        return d

    def field_for(self, key: str) -> str | None:
        return self.FIELD_OF.get(key)


class ActionForm(forms.ModelForm):
    """Common action keys; ``action_form_class`` adds every type's config fields.

    The stored ``config`` is shown in the selected type's fields; on save it is rebuilt
    from those fields only (empty ones left out), and only when one of them or the type
    changed, so an untouched action keeps its config exactly.
    """

    position = PositionField()
    type = forms.ChoiceField(choices=action_type_choices, label="type")

    COMMON_FIELD_OF: ClassVar[dict[str, str]] = {
        "id": "step_id",
        "type": "type",
        "label": "label",
        "only_when": "only_when",
    }

    class Meta:
        model = Action
        fields = ("position", "step_id", "type", "label", "only_when")
        widgets = {
            "only_when": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "label": forms.TextInput(attrs={"size": 40}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.config: dict[str, Any] = {}
        stored = self.instance.type if self.instance.pk else ""
        keep_current_choice(self.fields["type"], stored, "unknown action type")
        action = self._action(stored)
        if action is None:
            return
        for f in action.fields:
            name = config_fields.field_name(action.name, f.key)
            value = (self.instance.config or {}).get(f.key)
            self.initial[name] = config_fields.to_text(f, value)
            field = self.fields[name]
            if config_fields.is_structured(value) and isinstance(field.widget, forms.TextInput):
                # a mapping or list needs lines: a one-line input would mangle it
                field.widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
            keep_current_choice(field, value)

    @staticmethod
    def _action(name: str | None) -> ActionType | None:
        try:
            return registry.get(name) if name else None
        except KeyError:
            return None

    @property
    def action(self) -> ActionType | None:
        """The selected action type (after cleaning)."""
        return self._action(getattr(self, "cleaned_data", {}).get("type"))

    def config_field_names(self, action: ActionType | None = None) -> list[str]:
        action = action or self.action
        if action is None:
            return []
        return [config_fields.field_name(action.name, f.key) for f in action.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        action = self.action
        self.config = {}
        if action is None:
            return cleaned
        for f in action.fields:
            name = config_fields.field_name(action.name, f.key)
            try:
                value = config_fields.parse(f, cleaned.get(name))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if value is not None:
                self.config[f.key] = value
        return cleaned

    def config_changed(self) -> bool:
        changed = set(self.changed_data)
        return "type" in changed or bool(changed & set(self.config_field_names()))

    def effective_config(self) -> dict[str, Any]:
        """The config this row will have once saved."""
        if self.instance.pk and not (self.has_changed() and self.config_changed()):
            return dict(self.instance.config or {})
        return self.config

    def definition(self) -> dict[str, Any]:
        cd = self.cleaned_data
        d: dict[str, Any] = {}
        if cd.get("step_id"):
            d["id"] = cd["step_id"]
        d["type"] = cd.get("type")
        if cd.get("label"):
            d["label"] = cd["label"]
        if cd.get("only_when"):
            d["only_when"] = cd["only_when"]
        d.update(self.effective_config())
        return d

    def field_for(self, key: str) -> str | None:
        if key in self.COMMON_FIELD_OF:
            return self.COMMON_FIELD_OF[key]
        action = self.action
        if action is not None and any(f.key == key for f in action.fields):
            return config_fields.field_name(action.name, key)
        return None

    def save(self, commit: bool = True) -> Action:
        self.instance.config = self.effective_config()
        return super().save(commit)


def action_form_class() -> type[ActionForm]:
    """An ``ActionForm`` with the config fields of the action types registered now.

    Built per request, so types registered late (another app's ``ready()``) and new
    workflow names (WORKFLOW selects) are always there.
    """
    attrs: dict[str, Any] = dict(config_fields.form_fields(list(registry.all_types())))
    attrs["__module__"] = __name__
    return type("ActionForm", (ActionForm,), attrs)


def describe(action: ActionType) -> Any:
    """A type's fieldset description: what it does and its YAML example, escaped."""
    if action.example:
        return format_html(
            '<p>{}</p><pre class="wf-example">{}</pre>', action.description, action.example
        )
    return format_html("<p>{}</p>", action.description)


def action_fieldsets() -> list[tuple[str | None, dict[str, Any]]]:
    """Common keys first, then one fieldset per action type (hidden by JS unless selected)."""
    fieldsets: list[tuple[str | None, dict[str, Any]]] = [
        (None, {"fields": (("position", "step_id", "type"), "label", "only_when")})
    ]
    for action in registry.all_types():
        fieldsets.append(
            (
                f"{action.label} ({action.name})",
                {
                    "fields": tuple(
                        config_fields.field_name(action.name, f.key) for f in action.fields
                    ),
                    "classes": ("action-config", f"action-config--{action.name}"),
                    "description": describe(action),
                },
            )
        )
    return fieldsets
