"""Everything the workflow editor offers, as JSON, read from the registries: the actions
and their property fields, the parameter types, the data types and their fields, the other
workflows and their parameters, the expression functions, and what can be done with a
value of each kind ("insert dynamic data"). The editor shows nothing that is not here, so
it cannot offer what a save would refuse.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from .. import conf, data_types, secrets
from ..actions import registry
from ..actions.registry import ActionType, ConfigField
from ..choices import AuthMode, Commit, ConditionNotMet, TriggerEvent, WorkflowKind
from ..data_model import options
from ..engine import kinds
from ..engine.functions import FUNCTIONS, time_zone_names
from ..engine.param_types import all_param_types
from ..engine.scope import current_user_kind

#: Bubble's recurring frequencies, each "every 1 <unit>", for the schedule form: the words
#: scheduler/frequency.py reads (``WORDS``; workflows never imports the scheduler, a test
#: keeps the two equal)
EVERY_WORDS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
}

#: what the picker offers after a value of each kind: (label, template, kind given), where
#: the template's ``{x}`` is the value's expression
OPERATIONS: dict[str, list[tuple[str, str, str]]] = {
    "text": [
        ("uppercase", "{x}|upper", "text"),
        ("lowercase", "{x}|lower", "text"),
        ("trimmed", "{x}|trim", "text"),
        ("number of characters", "{x}|length", "number"),
        ("contains …", "'…' in {x}", "yes_no"),
        ("is empty", "{x} is empty", "yes_no"),
        ("is not empty", "{x} is not empty", "yes_no"),
        ("joined with other text", "{x} ~ ' …'", "text"),
    ],
    "number": [
        ("plus …", "{x} + 1", "number"),
        ("minus …", "{x} - 1", "number"),
        ("times …", "{x} * 2", "number"),
        ("divided by …", "{x} / 2", "number"),
        ("rounded to 2 decimals", "{x}|round(2)", "number"),
        ("is greater than …", "{x} > 0", "yes_no"),
        ("is empty", "{x} is empty", "yes_no"),
    ],
    "date": [
        ("plus days", "{x} + days(7)", "date"),
        ("plus hours", "{x} + hours(1)", "date"),
        ("minus days", "{x} - days(1)", "date"),
        ("formatted as 24 December 2026", "{x}|format_date('%d %B %Y')", "text"),
        ("formatted as 2026-12-24 18:00", "{x}|format_date('%Y-%m-%d %H:%M')", "text"),
        ("year", "{x}.year", "number"),
        ("is in the past", "{x} < now", "yes_no"),
        ("is empty", "{x} is empty", "yes_no"),
    ],
    "yes_no": [
        ("is yes", "{x}", "yes_no"),
        ("is no", "not {x}", "yes_no"),
    ],
    "list": [
        ("count", "{x}|length", "number"),
        ("first item", "{x}|first", "item"),
        ("last item", "{x}|last", "item"),
        ("is empty", "{x} is empty", "yes_no"),
        ("is not empty", "{x} is not empty", "yes_no"),
        ("joined with commas", "{x}|join(', ')", "text"),
    ],
    "thing": [
        ("is empty", "{x} is empty", "yes_no"),
        ("is not empty", "{x} is not empty", "yes_no"),
    ],
    # and "is <display>" for each option of its set (the field's ``choices``)
    "option": [
        ("is empty", "{x} is empty", "yes_no"),
        ("is not empty", "{x} is not empty", "yes_no"),
    ],
    "any": [
        ("is empty", "{x} is empty", "yes_no"),
        ("is not empty", "{x} is not empty", "yes_no"),
    ],
}


def editor_catalog() -> dict[str, Any]:
    """The registries as the editor reads them (one JSON document per page load)."""
    return {
        "families": [{"name": name, "label": label} for name, label in registry.FAMILIES.items()],
        "actions": [_action(action) for action in registry.all_types()],
        "parameter_types": [
            {"name": t.name, "label": t.label, "needs_data_type": t.needs_data_type}
            for t in all_param_types()
        ],
        "data_types": {label: _data_type(label) for label in data_types.allowed_labels()},
        "workflows": _workflows(),
        "functions": [{"name": f.name, "doc": f.doc.split("\n", 1)[0]} for f in FUNCTIONS.values()],
        "operations": {
            kind: [
                {"label": label, "template": template, "gives": gives}
                for label, template, gives in ops
            ]  # fmt: skip
            for kind, ops in OPERATIONS.items()
        },
        "settings": sorted(conf.get("SETTINGS")),
        "secrets": secrets.secret_names(),
        "current_user": current_user_kind().as_dict(),
        "choices": {
            "kind": _choices(WorkflowKind),
            "auth": _choices(AuthMode),
            "commit": _choices(Commit),
            "condition_not_met": _choices(ConditionNotMet),
            "trigger_on": _choices(TriggerEvent),
            # a schedule's `every`, as scheduler/frequency.py reads it (UNITS, WORDS)
            "every_units": ["minutes", "hours", "days", "weeks", "months", "quarters", "years"],
            "every_words": EVERY_WORDS,
            # a workflow's time_zone: any IANA name (offered as the field is typed in)
            "time_zones": sorted(time_zone_names()),
        },
        "server_time_zone": settings.TIME_ZONE,
    }


def _choices(choices: type[models.Choices]) -> list[dict[str, Any]]:
    return [{"value": value, "label": str(label)} for value, label in choices.choices]


def _action(action: ActionType) -> dict[str, Any]:
    return {
        "name": action.name,
        "label": action.label,
        "family": action.family,
        "description": action.description,
        "ends_run": action.ends_run,
        "fields": [_field(f) for f in action.fields],
    }


def _field(f: ConfigField) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": f.key,
        "kind": f.kind,
        "label": f.title.capitalize(),
        "help": f.help_text,
        "required": f.required,
        "multiline": f.multiline,
    }
    if f.choices:
        out["choices"] = list(f.choices)
    if f.default is not None:
        out["default"] = f.default
    if f.extra_names:
        out["extra_names"] = sorted(f.extra_names)
    if f.shown_for:
        out["shown_for"] = {"key": f.shown_for[0], "values": list(f.shown_for[1])}
    if f.keys_of:
        out["keys_of"] = f.keys_of
    if f.expects:
        out["expects"] = f.expects
    if f.workflow_kind:
        out["workflow_kind"] = f.workflow_kind
    return out


def _data_type(label: str) -> dict[str, Any]:
    model = data_types.get_model(label)
    writable = data_types.field_names(model) - {model._meta.pk.name}
    writable -= data_types.protected_field_names(model)
    fields = []
    for name, kind in kinds.field_kinds(label).items():
        entry: dict[str, Any] = {"name": name, **kind.as_dict()}
        field = _model_field(model, name)
        if field is not None:
            entry["title"] = str(field.verbose_name)
            entry["writable"] = name in writable and field.editable
            entry["required"] = _required(field)
            if field.choices and not field.is_relation:
                entry["choices"] = [
                    {"value": value, "label": str(text)} for value, text in field.flatchoices
                ]
            elif options.is_option_field(field) and not field.many_to_many:
                option_set = options.option_set_of(field)  # compared by display
                shown = option_set.displays() if option_set is not None else []
                entry["choices"] = [{"value": text, "label": text} for text in shown]
            if field.help_text:
                entry["help"] = str(field.help_text)
        fields.append(entry)
    return {
        "label": label,
        "name": str(model._meta.verbose_name),
        "plural": str(model._meta.verbose_name_plural),
        "fields": fields,
    }


def _model_field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        field = model._meta.get_field("id" if name == "id" else name)
    except Exception:  # noqa: BLE001 - a reverse relation's accessor (customer.orders)
        return None
    return field if isinstance(field, models.Field) else None


def _required(field: models.Field) -> bool:
    return not (
        field.null
        or field.blank
        or field.has_default()
        or field.many_to_many
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def _workflows() -> list[dict[str, Any]]:
    from ..models import Workflow  # models import the engine

    out = []
    for workflow in Workflow.objects.prefetch_related("parameters").order_by("name"):
        out.append(
            {
                "name": workflow.name,
                "kind": workflow.kind,
                "parameters": [
                    {
                        "key": p.key,
                        "type": p.type,
                        "data_type": p.data_type,
                        "list": p.is_list,
                        "required": not p.optional and p.default is None,
                    }
                    for p in workflow.parameters.all()
                ],
            }
        )
    return out
