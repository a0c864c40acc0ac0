"""The admin's "Schedule" form: a workflow's parameters, when it is due, who it runs as.

Each parameter's input follows its type in the parameter-type registry
(``workflows.engine.param_types``: ``widget``, ``expected``, ``hint``), the registry the
API's serializer describes parameters from, so a new type needs nothing here. Values are
sent as a caller would send them (an empty input is "not sent") and checked by
``services.schedule`` — the engine's coercion, as the run's user — whose errors name the
parameter and are shown on its input (``add_service_error``).

A thing parameter holds the thing's id; the page's script (``scheduler/schedule_form.js``)
adds a search by name beside it (``data-search-url``), so nobody picks from a select of a
million things. "Run as" is a username (or email, or id), searched the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from workflows.engine.compiler import CompiledWorkflow
from workflows.engine.functions import time_zone_names
from workflows.engine.params import ParamSpec
from workflows.exceptions import WorkflowError

#: the form's own inputs; a parameter key is an identifier, never holding "-"
DUE_FIELD = "due-at"
ZONE_FIELD = "time-zone"
RUN_AS_FIELD = "run-as"
#: the permission to pick a user other than oneself in "run as"
RUN_AS_OTHERS_PERMISSION = "scheduler.schedule_as_other_user"


def _help(spec: ParamSpec, hint: str) -> str:
    return " ".join(part for part in (spec.description.strip(), hint) if part)


def _initial(spec: ParamSpec) -> Any:
    default = spec.default
    if default is None or spec.secret:
        return None
    if isinstance(default, bool):
        return "yes" if default else "no"
    if spec.is_list and isinstance(default, list):
        return "\n".join(str(item) for item in default)
    return str(default)


def param_field(spec: ParamSpec, *, things_url: str = "") -> forms.Field:
    """The input for one parameter, by its type's ``widget``; a thing's is searched by name
    at ``things_url`` ("" for a data type the user may not view: ids only)."""
    kind = spec.param_type
    required = not spec.optional and spec.default is None
    common: dict[str, Any] = {"label": spec.key, "required": required, "initial": _initial(spec)}
    search = {"data-search-url": things_url, "data-data-type": spec.data_type} if things_url else {}
    by_name = "; search it by name" if things_url else ""
    if spec.is_list:
        if kind.widget == "thing":
            hint = f"Ids of {spec.data_type} things, one per line" + (
                "; search by name to add one." if things_url else "."
            )
            attrs = {"rows": 4, "cols": 40, "data-list": "1", **search}
        else:
            hint = f"A list, one value per line; each: {kind.expected}."
            attrs = {"rows": 4, "cols": 40}
        return forms.CharField(
            widget=forms.Textarea(attrs=attrs), help_text=_help(spec, hint), **common
        )
    if kind.widget == "checkbox":  # three states: yes, no, not sent
        return forms.ChoiceField(
            choices=[("", "---------"), ("yes", "yes"), ("no", "no")],
            help_text=_help(spec, "yes / no."),
            **common,
        )
    if kind.widget == "thing":
        return forms.CharField(
            widget=forms.TextInput(
                attrs={"class": "sched-thing-id", "autocomplete": "off", **search}
            ),
            help_text=_help(spec, f"The id of a thing of type {spec.data_type}{by_name}."),
            **common,
        )
    if kind.widget == "file":  # a scheduled run keeps files as URLs, not uploads
        return forms.URLField(
            assume_scheme="https", help_text=_help(spec, "The file's URL."), **common
        )
    attrs: dict[str, Any] = {"size": 40}
    if kind.widget == "number":
        attrs["inputmode"] = "decimal"
    if kind.widget == "datetime":
        attrs["placeholder"] = "2025-01-31T09:00:00Z"
    widget: forms.Widget = forms.TextInput(attrs=attrs)
    if spec.secret:
        widget = forms.PasswordInput(render_value=False, attrs=attrs)
    return forms.CharField(
        strip=kind.widget != "text",
        widget=widget,
        help_text=_help(spec, kind.hint or f"{kind.expected[:1].upper()}{kind.expected[1:]}."),
        **common,
    )


ONLY_YOURSELF = (
    "You may schedule runs as yourself or nobody: running as another user needs "
    "the permission “Can schedule runs that run as another user”."
)


class UserField(forms.CharField):
    """An active user by username, email or id; empty: nobody (the run is anonymous).
    With ``only`` set, that user alone: anything else gets the same answer whether such a
    user exists or not (who may not run as others learns nothing of who exists)."""

    only: Any = None

    def clean(self, value: Any) -> Any:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        users = get_user_model().objects.filter(is_active=True)
        if self.only is not None:
            users = users.filter(pk=self.only.pk)
        match = Q(username=text) | Q(email__iexact=text)
        if text.isdigit() and len(text) <= 9:  # an id (a longer number is no id: no overflow)
            match |= Q(pk=int(text))
        found = list(users.filter(match)[:2])
        if len(found) != 1 and self.only is not None:
            raise forms.ValidationError(ONLY_YOURSELF)
        if len(found) != 1:
            raise forms.ValidationError(f"No user {text!r} (a username, an email or an id).")
        return found[0]


class ScheduleForm(forms.Form):
    """Built per workflow (``schedule_form``): its parameters, then the due time and user."""

    required_css_class = "required"
    params: tuple[ParamSpec, ...] = ()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.may_run_as_others = user.has_perm(RUN_AS_OTHERS_PERMISSION)
        run_as = self.fields[RUN_AS_FIELD]
        run_as.initial = user.get_username()
        if not self.may_run_as_others:  # nobody else to search for, or to find
            run_as.only = user
            run_as.widget.attrs.pop("data-search-url", None)
            run_as.help_text += " You may choose yourself or nobody."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = data.get(RUN_AS_FIELD)
        if chosen is not None and chosen.pk != self.user.pk and not self.may_run_as_others:
            self.add_error(RUN_AS_FIELD, ONLY_YOURSELF)
        return data

    def raw_params(self) -> dict[str, Any]:
        """What the form says, as a caller would send it: empty inputs are not sent."""
        raw: dict[str, Any] = {}
        for spec in self.params:
            value = self.cleaned_data.get(spec.key)
            if spec.is_list:
                lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
                if lines:
                    raw[spec.key] = lines
            elif value not in (None, ""):
                raw[spec.key] = value
        return raw

    def add_service_error(self, exc: WorkflowError) -> None:
        """The service's error on the input it names (the due time is its ``at``)."""
        where = {"at": DUE_FIELD}.get(exc.parameter or "", exc.parameter)
        self.add_error(where if where in self.fields else None, exc.message)


def schedule_form(
    compiled: CompiledWorkflow,
    *,
    things_url: str = "",
    searchable: Callable[[str], bool] = lambda data_type: True,
    users_url: str = "",
    time_zone: str = "",
) -> type[ScheduleForm]:
    """The form class of ``compiled``'s parameters; things of the data types
    ``searchable`` allows are searched by name at ``things_url``."""
    fields: dict[str, forms.Field] = {
        spec.key: param_field(spec, things_url=things_url if searchable(spec.data_type) else "")
        for spec in compiled.parameters
    }
    fields[DUE_FIELD] = forms.CharField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        help_text="When it runs, on the clock of the run's time zone. Empty, or a moment "
        "already past: as soon as the scheduler picks it up.",
    )
    fields[ZONE_FIELD] = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=[("", f"{time_zone} (its workflow’s)" if compiled.time_zone else time_zone)]
        + [(name, name) for name in sorted(time_zone_names())],
        help_text="The zone it runs in: its due time and dates are read there, and the run "
        "shows dates and counts days there.",
    )
    fields[RUN_AS_FIELD] = UserField(
        label="Run as",
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "class": "sched-user", "data-search-url": users_url}
        ),
        help_text="A username, an email or an id: the run sees what this user may see under "
        "the privacy rules. Empty: nobody (anonymous).",
    )
    return type(
        "ScheduleForm",
        (ScheduleForm,),
        {**fields, "params": tuple(compiled.parameters)},
    )
