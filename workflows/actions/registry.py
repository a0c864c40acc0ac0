"""The action registry: every action type is one class registered here by name.

The admin's per-type forms, definition validation (admin and import alike), the engine
and the docs all read ``ActionType.fields``; nothing elsewhere branches on an action's
type name. Adding an action is one new class with ``@register``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..engine.compiler import CompileContext
    from ..engine.context import RunContext
    from ..engine.kinds import Kind
    from ..engine.scope import Scope


#: the families of actions, in the order and with the names Bubble's "Click here to add an
#: action" menu uses
FAMILIES: dict[str, str] = {
    "account": "Account",
    "data": "Data (Things)",
    "email": "Email",
    "custom_events": "Custom events",
    "scheduler": "Scheduling",
    "http": "Plugins / HTTP",
    "flow": "Flow",
    "other": "Other",
}


class FieldKind:
    """How a config key is written and compiled."""

    VALUE = "value"  # any value; strings may hold {{ expressions }}; dicts/lists recurse
    TEXT = "text"  # text with {{ }} parts; the result is turned into a string
    MAPPING = "mapping"  # {name: value, ...}, each value dynamic
    DATA_TYPE = "data_type"  # a literal data type label, e.g. examples.Order
    WORKFLOW = "workflow"  # a literal workflow name
    CHOICE = "choice"  # one literal of ``choices``
    NUMBER = "number"  # a number, or an expression giving one


@dataclass(frozen=True)
class ConfigField:
    key: str
    kind: str = FieldKind.VALUE
    required: bool = True
    label: str = ""
    help_text: str = ""
    example: str = ""
    choices: tuple[str, ...] = ()
    default: Any = None
    multiline: bool = False
    #: names this field's expressions may use besides the usual scope (``item``, ``index``)
    extra_names: frozenset[str] = field(default_factory=frozenset)
    #: resolved by the action itself, once per item with ``extra_names`` in scope: the
    #: action receives a ``PerItem`` instead of a value
    per_item: bool = False
    #: for a mapping, where its keys come from, so the editor offers them as labelled
    #: inputs: ``"fields_of:<key>"`` — the fields of the data type named by config key
    #: ``<key>``, or of the thing (or list of things) it gives; ``"params_of:<key>"`` —
    #: the parameters of the workflow named by config key ``<key>``
    keys_of: str = ""
    #: what kind of value belongs here ("thing", "list", "date", "yes_no", "object"...): the
    #: editor's picker offers what fits (and what leads to it); empty: any value
    expects: str = ""
    #: for a workflow field, the kind of workflow it names ("custom_event", "api")
    workflow_kind: str = ""
    #: ``(key, values)``: the field belongs to the step only while its config key ``key``
    #: (a choice) is one of ``values`` (its default counts); the editor shows it only then
    shown_for: tuple[str, tuple[str, ...]] | None = None

    @property
    def title(self) -> str:
        return self.label or self.key.replace("_", " ")


class ConfigError(Exception):
    """A problem with one key of an action's configuration, found at save time."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


class ActionType:
    """Base class: declare ``name``, ``fields`` and implement ``execute``."""

    name: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    #: a YAML example shown in the admin and the docs
    example: ClassVar[str] = ""
    fields: ClassVar[tuple[ConfigField, ...]] = ()
    #: True for actions after which the workflow stops (return_data, terminate)
    ends_run: ClassVar[bool] = False
    #: family, for grouping in the admin and the docs
    family: ClassVar[str] = "other"
    #: False for an action that never writes to the database (http_request, log...): a run
    #: opens its transaction at the first step that may write, so a call to another server
    #: before it holds no lock (docs/actions.md#when-changes-are-saved)
    writes: ClassVar[bool] = True
    #: True for an action that waits on another server (http_request): done while the run
    #: holds SQLite's write lock, it stalls every other write (``engine.advice``)
    waits_on_network: ClassVar[bool] = False
    #: config keys whose value is written to the data field of the same name (an account
    #: action's ``email``, ``password``): a refused value computed from a parameter is then
    #: the caller's error, naming that parameter (``engine.runner._step_error``)
    field_keys: ClassVar[frozenset[str]] = frozenset()
    #: config keys holding a password (``"password"``, or ``"fields.password"`` for an item
    #: of a mapping): a parameter whose value goes there is masked in the run log like a
    #: ``secret: true`` one, whatever its name (``engine.compiler``)
    secret_keys: ClassVar[frozenset[str]] = frozenset()
    #: True for an action that logs a user in (``sign_up``, ``log_user_in``): an API
    #: workflow without returned data then answers the log-in, ``{token, user_id,
    #: expires}``, as Bubble does (``RunContext.login``)
    logs_in: ClassVar[bool] = False
    #: the step's one-line summary in the editor, from its config keys ("Make changes to
    #: {thing}: {changes}"); a key left empty is dropped with what surrounds it
    summary_template: ClassVar[str] = ""

    def waits_for_network(self, config: dict[str, Any]) -> bool:
        """Whether a step of this action with ``config`` waits on another server (an
        email with attachments to fetch): ``waits_on_network`` unless the action knows
        better."""
        return self.waits_on_network

    def check(self, config: dict[str, Any], ctx: CompileContext) -> None:
        """Checks beyond each field's own (e.g. field names of a data type).

        ``config`` holds the raw (uncompiled) values; raise ``ConfigError``.
        """

    def execute(self, inputs: dict[str, Any], run: RunContext) -> Any:
        """Do the work with resolved ``inputs``; the return value is ``steps.<id>``."""
        raise NotImplementedError

    def result_kind(self, config: dict[str, Any], scope: Scope) -> Kind:
        """What ``steps.<id>`` will be, from the raw ``config`` and the ``scope`` before
        the step (the editor's picker and the OpenAPI schema read it); unknown: ANY."""
        from ..engine.kinds import ANY

        return ANY

    def summary(self, config: dict[str, Any]) -> str:
        """The step in plain words: "Make changes to params.order: status = paid"."""
        template = self.summary_template or self.label
        values = {f.key: brief(config.get(f.key)) for f in self.fields}
        try:
            text = template.format_map(_Missing(values))
        except (KeyError, ValueError, IndexError):
            text = self.label
        return " ".join(text.replace(" :", ":").split()).rstrip(":").strip() or self.label

    def field(self, key: str) -> ConfigField:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def brief(value: Any, limit: int = 60) -> str:
    """A config value in few words: an expression without its braces, a mapping as
    "key = value, …"."""
    if value is None or value == "" or value == {} or value == []:
        return ""
    if isinstance(value, dict):
        parts = [f"{k} = {brief(v, 30)}" for k, v in list(value.items())[:3]]
        text = ", ".join(parts) + (", …" if len(value) > 3 else "")
    elif isinstance(value, list | tuple):
        text = ", ".join(brief(v, 30) for v in value)
    else:
        text = str(value).strip()
        if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
            text = text[2:-2].strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REGISTRY: dict[str, ActionType] = {}

#: keys every action has besides its own fields
COMMON_KEYS = ("id", "type", "label", "only_when")


def register(cls: type[ActionType]) -> type[ActionType]:
    """Class decorator adding an action type; a second type with the same name is refused."""
    if cls.name in _REGISTRY:
        raise ValueError(f"action type {cls.name!r} is already registered")
    clash = {f.key for f in cls.fields} & set(COMMON_KEYS)
    if clash:
        raise ValueError(f"action type {cls.name!r} uses reserved keys {sorted(clash)}")
    _REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> ActionType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown action type {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def all_types() -> Iterator[ActionType]:
    """Every action type, by family in ``FAMILIES`` order, then by name."""
    order = list(FAMILIES)
    return iter(
        sorted(
            _REGISTRY.values(),
            key=lambda a: (order.index(a.family) if a.family in order else len(order), a.name),
        )
    )


def names() -> list[str]:
    return sorted(_REGISTRY)
