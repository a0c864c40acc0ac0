"""What kind of value something is: text, a number, a thing of a data type, a list of...,
an object with known keys.

One description, read by everything that needs to know what a value is before a run: the
editor's "insert dynamic data" picker (what is in scope, and what can be read from it),
the OpenAPI schema of what a workflow returns, and the checks made when a workflow is
saved. Parameter types (``engine.param_types``) and actions (``ActionType.result_kind``)
declare the kinds they give; data types' fields have theirs (``field_kinds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.db import models

from .. import data_types
from ..bubble_fields import ListField
from ..data_model import options
from ..data_model.fields import AddressField, FileUrlField
from ..exceptions import WorkflowError

#: the names of the kinds, as the editor shows them
LABELS = {
    "text": "text",
    "number": "number",
    "yes_no": "yes / no",
    "date": "date",
    "duration": "duration",
    "thing": "thing",
    "option": "option",
    "file": "file",
    "object": "object",
    "list": "list",
    "nothing": "nothing",
    "any": "any value",
}


@dataclass(frozen=True)
class Kind:
    """The kind of a value. ``data_type`` for a thing, ``item`` for a list, ``keys`` for
    an object whose keys are known (and for an option: its display and attributes),
    ``option_set`` for an option; ``nullable`` when it may be empty. ``format`` refines
    it where a schema can say more (a whole number: "integer"; text: "uuid"), and
    ``source`` names the data type field it was read from (``("examples.Order",
    "status")``), whose choices and exact schema then apply."""

    name: str
    data_type: str = ""
    item: Kind | None = None
    keys: tuple[tuple[str, Kind], ...] = field(default=())
    nullable: bool = False
    format: str = ""
    source: tuple[str, str] = ()
    option_set: str = ""

    def __post_init__(self) -> None:
        if self.name not in LABELS:
            raise ValueError(f"unknown kind {self.name!r}")

    # --- building ------------------------------------------------------------------------

    @classmethod
    def thing(cls, data_type: str, *, nullable: bool = False) -> Kind:
        return cls("thing", data_type=data_type, nullable=nullable)

    @classmethod
    def list_of(cls, item: Kind) -> Kind:
        return cls("list", item=item)

    @classmethod
    def object(cls, keys: dict[str, Kind] | None = None, *, nullable: bool = False) -> Kind:
        return cls("object", keys=tuple((keys or {}).items()), nullable=nullable)

    def maybe_empty(self, empty: bool = True) -> Kind:
        """This kind, possibly empty (a step that may be skipped, an optional parameter)."""
        if not empty or self.nullable:
            return self
        return replace(self, nullable=True)

    def plain(self) -> Kind:
        """This kind without its field of origin and emptiness (to compare two kinds)."""
        return replace(self, nullable=False, source=())

    # --- reading -------------------------------------------------------------------------

    @property
    def is_known(self) -> bool:
        return self.name != "any"

    def key(self, name: str) -> Kind | None:
        """An object's key, if this kind knows it."""
        return dict(self.keys).get(name)

    def describe(self) -> str:
        """For people: "text", "examples.Order", "list of examples.Order"."""
        if self.name == "thing":
            return self.data_type or "thing"
        if self.name == "option":
            return f"{self.option_set} option" if self.option_set else "option"
        if self.name == "list":
            return f"list of {self.item.describe() if self.item is not None else 'values'}"
        return LABELS[self.name]

    def as_dict(self) -> dict[str, Any]:
        """The kind as JSON, for the editor."""
        out: dict[str, Any] = {"kind": self.name, "label": self.describe()}
        if self.data_type:
            out["data_type"] = self.data_type
        if self.option_set:
            out["option_set"] = self.option_set
        if self.item is not None:
            out["item"] = self.item.as_dict()
        if self.keys:
            out["keys"] = {name: kind.as_dict() for name, kind in self.keys}
        if self.nullable:
            out["nullable"] = True
        return out


TEXT = Kind("text")
NUMBER = Kind("number")
WHOLE_NUMBER = Kind("number", format="integer")
YES_NO = Kind("yes_no")
DATE = Kind("date")
DURATION = Kind("duration")
FILE = Kind("file")
ANY = Kind("any")
NOTHING = Kind("nothing")
OBJECT = Kind("object")


# --- the fields of a data type --------------------------------------------------------

_FIELD_KINDS: tuple[tuple[type[models.Field], Kind], ...] = (
    (models.BooleanField, YES_NO),
    (models.DateTimeField, DATE),
    (models.DateField, DATE),
    (models.DurationField, DURATION),
    (models.IntegerField, NUMBER),
    (models.FloatField, NUMBER),
    (models.DecimalField, NUMBER),
    (models.FileField, FILE),
    (models.JSONField, ANY),
    (models.CharField, TEXT),
    (models.TextField, TEXT),
    (models.UUIDField, TEXT),
)


#: a geographic address (``data_model.fields.AddressField``)
ADDRESS = Kind.object({"address": TEXT, "lat": NUMBER, "lng": NUMBER})
#: what an option's attributes hold, by the JSON type of their values
_ATTRIBUTE_KINDS: tuple[tuple[type, Kind], ...] = (
    (bool, YES_NO),
    (int | float, NUMBER),
    (str, TEXT),
)


#: an option's own keys; its attributes come beside them (``thing.stage.color``)
OPTION_KEYS = ("display", "attributes")


def option_kind(field: models.Field) -> Kind:
    """An option of ``field``'s set: an expression reads its ``display``, its
    ``attributes`` (``thing.stage.attributes.color``) and each attribute by name
    (``thing.stage.color``), and compares it with a display (``thing.stage == 'Won'``)."""
    option_set = options.option_set_of(field)
    attributes: dict[str, Kind] = {}
    for option in option_set.options if option_set is not None else ():
        for name, value in (option.attributes or {}).items():
            found = next((k for t, k in _ATTRIBUTE_KINDS if isinstance(value, t)), ANY)
            attributes[name] = found if attributes.get(name, found) == found else ANY
    # each attribute by its own name too, as Bubble reads it ("stage's color"), except where
    # an option's own key has that name (read as ``attributes.<name>``: sandbox.OPTION_FIELDS)
    keys = {name: kind for name, kind in attributes.items() if name not in OPTION_KEYS}
    keys = {"display": TEXT, "attributes": Kind.object(attributes), **keys}
    return Kind(
        "option",
        keys=tuple(keys.items()),
        option_set=option_set.name if option_set is not None else "",
        nullable=True,
    )


def field_kind(field: models.Field) -> Kind:
    """What reading ``field`` of a thing gives in an expression."""
    source = (data_types.label_of(field.model), field.name)
    if options.is_option_field(field):
        option = option_kind(field)
        if field.many_to_many:
            return replace(Kind.list_of(option.plain()), source=source)
        return replace(option, source=source)
    if field.many_to_many:
        return replace(
            Kind.list_of(Kind.thing(data_types.label_of(field.related_model))), source=source
        )
    if field.is_relation:
        related = field.related_model
        if data_types.is_data_type(related):
            return Kind(
                "thing", data_type=data_types.label_of(related), nullable=field.null, source=source
            )
        return ANY
    if isinstance(field, ListField):  # Bubble's list of texts / numbers / dates
        item = {"text": TEXT, "number": NUMBER, "date": DATE}.get(field.of, ANY)
        return replace(Kind.list_of(item), source=source)
    if isinstance(field, AddressField):
        return replace(ADDRESS, nullable=field.null, source=source)
    if isinstance(field, FileUrlField):  # a file or an image: its URL
        return replace(TEXT, nullable=field.null, source=source)
    for cls, kind in _FIELD_KINDS:
        if isinstance(field, cls):
            return replace(kind, nullable=field.null, source=source)
    return ANY


def field_kinds(data_type: str) -> dict[str, Kind]:
    """The readable fields of a data type and their kinds, in the model's order: what an
    expression can read on one of its things (``params.order.<field>``)."""
    try:
        model = data_types.get_model(data_type)
    except WorkflowError:
        return {}
    label = data_types.label_of(model)
    pk = replace(NUMBER if _numeric_pk(model) else TEXT, source=(label, model._meta.pk.name))
    kinds: dict[str, Kind] = {"id": pk}
    built_in = {"unique_id", *data_types.bubble_names(model)}  # Bubble's, after the type's own
    own = [f for f in data_types.visible_fields(model) if not f.primary_key]
    own += data_types.list_fields(model)
    for f in sorted(own, key=lambda f: f.name in built_in):
        kinds[f.name] = field_kind(f)
    for rel in model._meta.related_objects:  # customer.orders: the things pointing here
        accessor = rel.get_accessor_name()
        if not data_types.is_data_type(rel.related_model) or not accessor:
            continue
        if accessor in data_types.readable_attributes(model):
            related = Kind.thing(data_types.label_of(rel.related_model))
            kinds[accessor] = related.maybe_empty() if rel.one_to_one else Kind.list_of(related)
    return kinds


def _numeric_pk(model: type[models.Model]) -> bool:
    pk = model._meta.pk
    while pk.is_relation:
        pk = pk.target_field
    return isinstance(pk, models.IntegerField | models.AutoField)


def login_kind() -> Kind:
    """What a log-in gives (``log_user_in``; an API workflow that logged a user in without
    returning data answers it): the token, the user's id and the seconds it lasts."""
    from django.contrib.auth import get_user_model

    label = data_types.label_of(get_user_model())
    user_id = field_kinds(label).get("id", NUMBER)
    return Kind.object({"token": TEXT, "user_id": user_id, "expires": WHOLE_NUMBER})
