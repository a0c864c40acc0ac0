"""A plan as a definition file (docs/import-export.md): the data types and the API
workflows' shells it makes, written through the project's own import — checked, all or
nothing, in the audit trail — which leaves alone what a builder changed since an earlier
import of the same app (``keep_existing``).

* Each Bubble type is a data type whose fields keep Bubble's keys on the wire
  (``bubble_name``: ``Unit name``), so the Data API answers at Bubble's path with Bubble's
  keys. Links to Bubble's user type point at user accounts (``User``).
* Bubble's user type becomes user accounts; its own fields (a name, an avatar...) go to a
  data type ``UserProfile`` with a ``user`` field, one profile per account.
* Each ``/wf/<name>`` becomes an API workflow of the same name and parameters, exposed,
  with no steps: in development (docs/versions.md), for a builder to rebuild.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.contrib.auth import get_user_model

from workflows.data_model.definitions import USER_TYPE
from workflows.data_model.schema import SchemaError, checked_bubble_name
from workflows.models.definitions import IDENTIFIER
from workflows.transfer import ImportReport, WorkflowFile, import_definitions

from .plan import USER, NotMapped, Plan, TypePlan, WorkflowPlan, field_name

#: the data type holding the fields of Bubble's user type (accounts keep the email only)
PROFILE_FIELD = "user"
#: what a shell's description says, so the admin and the report can tell them
SHELL_DESCRIPTION = (
    "Brought over from Bubble with its parameters; Bubble does not publish a workflow's "
    "steps: rebuild them in the editor, test in /version-test/, then deploy."
)
#: the text fields a type's display field is looked for in, best first
_DISPLAY_WORDS = ("name", "title", "label", "email")


def profile_name(users: TypePlan) -> str:
    return f"{users.name}Profile"


def profile_link(users: TypePlan) -> str:
    """The profile's field pointing at its user account."""
    return field_name(PROFILE_FIELD, [f.name for f in users.fields])


def data_type_of(plan: Plan, bubble_name: str, *, parameter: bool = False) -> str:
    """The data type here of a Bubble type (by its URL name): user accounts for users
    (``User`` in a data type's field, the user model's label in a workflow parameter)."""
    if bubble_name == USER:
        return get_user_model()._meta.label if parameter else USER_TYPE
    typed = plan.type_named(bubble_name)
    return typed.name if typed else ""


def document(plan: Plan) -> tuple[dict[str, Any], list[NotMapped]]:
    """The definition file of ``plan``, and what it could not carry as Bubble has it."""
    notes: list[NotMapped] = []
    types = []
    for typed in plan.types:
        if typed.users:
            if typed.fields:
                types.append(_profile_definition(plan, typed, notes))
        else:
            types.append(_type_definition(plan, typed, typed.name, notes))
    workflows = [_shell_definition(plan, shell, notes) for shell in plan.workflows]
    return {"version": 2, "data_types": types, "workflows": workflows}, notes


def apply(plan: Plan, *, user: Any = None, dry_run: bool = False) -> ImportReport:
    """Make what ``plan`` describes (``ImportRefused`` names each problem)."""
    made, _ = document(plan)
    text = yaml.safe_dump(made, sort_keys=False, allow_unicode=True)
    return import_definitions(
        [WorkflowFile("bubble-app.yaml", text)],
        keep_existing=True,
        dry_run=dry_run,
        user=user,
        audit_source="bubble import",
    )


def _type_definition(
    plan: Plan, typed: TypePlan, name: str, notes: list[NotMapped], first: Any = ()
) -> dict[str, Any]:
    fields = list(first)
    for planned in typed.fields:
        field: dict[str, Any] = {"name": planned.name, "type": planned.type}
        if planned.list:
            field["list"] = True
        if planned.type == "thing":
            field["data_type"] = data_type_of(plan, planned.data_type)
        if planned.key != planned.name:
            try:
                field["bubble_name"] = checked_bubble_name(planned.key, "")
            except SchemaError:
                notes.append(
                    NotMapped(
                        f"{typed.bubble_name}.{planned.key}",
                        f"the key cannot be kept on the wire: the Data API calls it "
                        f"{planned.name!r}",
                    )
                )
        fields.append(field)
    definition: dict[str, Any] = {
        "name": name,
        "description": f"Brought over from the Bubble app's type {typed.bubble_name!r}.",
        "fields": fields,
    }
    display = _display_field(typed)
    if display:
        definition["display_field"] = display
    return definition


def _profile_definition(plan: Plan, users: TypePlan, notes: list[NotMapped]) -> dict[str, Any]:
    link = {"name": profile_link(users), "type": "thing", "data_type": USER_TYPE}
    made = _type_definition(plan, users, profile_name(users), notes, first=[link])
    made["description"] = (
        "The fields of the Bubble app's users, one profile per user account (accounts keep "
        "the email and the id)."
    )
    return made


def _display_field(typed: TypePlan) -> str:
    texts = [f for f in typed.fields if f.type == "text" and not f.list]
    for word in _DISPLAY_WORDS:
        found = next((f for f in texts if word in f.name.lower()), None)
        if found:
            return found.name
    return ""


def _shell_definition(plan: Plan, shell: WorkflowPlan, notes: list[NotMapped]) -> dict[str, Any]:
    parameters = []
    for parameter in shell.parameters:
        key = parameter.key
        if not re.match(IDENTIFIER, key):
            key = field_name(key, [p["key"] for p in parameters])
            notes.append(
                NotMapped(
                    f"{shell.name}({parameter.key})",
                    f"a parameter key here is letters, digits and _: callers send it as {key!r}",
                )
            )
        made: dict[str, Any] = {"key": key, "type": parameter.type}
        if parameter.list:
            made["list"] = True
        if parameter.type == "thing":
            target = data_type_of(plan, parameter.data_type, parameter=True)
            if target:
                made["data_type"] = target
            else:  # a type left out of the import (--types): its ids, as text
                made["type"] = "text"
                notes.append(
                    NotMapped(
                        f"{shell.name}({parameter.key})",
                        f"{parameter.data_type} is not imported: the parameter takes its ids "
                        "as text",
                    )
                )
        if not parameter.required:
            made["optional"] = True
        if parameter.querystring:
            made["querystring"] = True
        parameters.append(made)
    return {
        "name": shell_name(shell.name),
        "kind": "api",
        "expose": True,
        "description": SHELL_DESCRIPTION,
        "parameters": parameters,
        "actions": [],
    }


def shell_name(bubble_name: str) -> str:
    """A workflow name here (letters, digits, ``-``, ``_``) for Bubble's ``/wf/<name>``."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", bubble_name).strip("-_")
    return name if name else "workflow"
