"""What bringing a Bubble app over will make here: its data types with a type for each
field and the reason for it, and its API workflows' shells (docs/coming-from-bubble.md,
"Bring your app over").

A plan is read from what Bubble lets an app's owner read, best source first: the Swagger
file (``/api/1.1/meta/swagger.json``, Swagger 2.0), else ``/api/1.1/meta`` (a shape Bubble
does not document: read defensively, anything unknown is text and said so), else the rows
themselves (``--types``: each field's type from the values). Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.dateparse import parse_datetime

#: the fields every Bubble row has: kept as this product's own built-in fields
BUILT_IN = {
    "_id": "Bubble's unique id: kept as the thing's unique id",
    "Created Date": "built in here too",
    "Modified Date": "built in here too",
    "Created By": "built in here too (the user who made it)",
}
#: Bubble's user type: its rows become user accounts, not a data type
USER = "user"
#: field names this product keeps for its own built-in fields
RESERVED = frozenset({"id", "pk", "unique_id", "created_date", "modified_date", "created_by"})
_REFERENCE = re.compile(r"\brepresented by (?:a )?unique ids?\b", re.I)
#: the longest description read for a type's name (Bubble's are one short sentence)
_LONGEST_DESCRIPTION = 500
_BUBBLE_ID = re.compile(r"^\d{10,16}x\d{5,24}$")
#: a type's name in Bubble's URLs (``/obj/<it>``): what a storage path and a URL may hold
_URL_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")
#: the most types, fields of a type and API workflows a plan reads (Bubble's largest apps
#: have a few hundred types; a file past these is read in parts, with --types)
MAX_TYPES = 1000
MAX_FIELDS = 1000
MAX_WORKFLOWS = 2000


@dataclass
class FieldPlan:
    """One Bubble field: its key on the wire, the field name here, its type and why."""

    key: str
    name: str
    type: str
    why: str
    list: bool = False
    data_type: str = ""  # a thing's (or a list's) data type: a Bubble type's URL name

    def describe(self) -> str:
        kind = f"thing of {self.data_type}" if self.type == "thing" else self.type
        return f"list of {kind}" if self.list else kind


@dataclass
class TypePlan:
    """One Bubble data type: ``bubble_name`` is its name in Bubble's URLs (``/obj/<it>``)."""

    bubble_name: str
    name: str
    fields: list[FieldPlan] = field(default_factory=list)
    users: bool = False  # Bubble's user type: user accounts

    @property
    def path(self) -> str:
        return f"/api/1.1/obj/{self.bubble_name}"


@dataclass
class ParameterPlan:
    key: str
    type: str
    why: str
    list: bool = False
    data_type: str = ""
    required: bool = False
    querystring: bool = False  # sent in the URL's query string (Bubble's GET workflows)

    describe = FieldPlan.describe


@dataclass
class WorkflowPlan:
    """An API workflow's shell: its name and parameters (Bubble publishes no steps)."""

    name: str
    parameters: list[ParameterPlan] = field(default_factory=list)


@dataclass
class NotMapped:
    where: str
    why: str


@dataclass
class OptionCandidate:
    """A text field whose rows hold few distinct values: an option set, maybe."""

    data_type: str
    key: str
    values: list[str]


@dataclass
class Plan:
    """Everything the import will make, and what it will not, from ``source``."""

    source: str  # "swagger", "meta" or "rows"
    types: list[TypePlan] = field(default_factory=list)
    workflows: list[WorkflowPlan] = field(default_factory=list)
    not_mapped: list[NotMapped] = field(default_factory=list)
    option_candidates: list[OptionCandidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """A plan saved with ``as_json`` (an import continued after a kill keeps its own)."""
        return cls(
            source=data["source"],
            types=[
                TypePlan(**{**t, "fields": [FieldPlan(**f) for f in t["fields"]]})
                for t in data.get("types", ())
            ],
            workflows=[
                WorkflowPlan(w["name"], [ParameterPlan(**p) for p in w["parameters"]])
                for w in data.get("workflows", ())
            ],
            not_mapped=[NotMapped(**n) for n in data.get("not_mapped", ())],
            option_candidates=[OptionCandidate(**o) for o in data.get("option_candidates", ())],
            notes=list(data.get("notes", ())),
        )

    def type_named(self, bubble_name: str) -> TypePlan | None:
        return next((t for t in self.types if t.bubble_name == bubble_name), None)


# --- names ------------------------------------------------------------------------------


def field_name(key: str, taken: Iterable[str] = ()) -> str:
    """A field name for Bubble key ``key``: ``Unit name`` → ``unit_name``; a name this
    product keeps for itself, or one already taken, gets a suffix."""
    name = re.sub(r"[^0-9a-z]+", "_", key.lower()).strip("_") or "field"
    if not name[0].isalpha():
        name = f"f_{name}"
    name = re.sub(r"_+", "_", name)[:90]
    used = {n.lower() for n in taken}
    if name in RESERVED:
        name = f"{name}_field"
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def type_name(bubble_name: str, display: str = "") -> str:
    """The data type's name here, whose lower case is Bubble's URL name, so the Data API
    answers at the same path: ``Order Item`` (``orderitem``) → ``OrderItem``."""
    words = re.sub(r"[^0-9A-Za-z]+", " ", display).split()
    joined = "".join(w[:1].upper() + w[1:] for w in words)
    if joined and joined.lower() == bubble_name.lower() and joined[0].isalpha():
        return joined
    cleaned = re.sub(r"[^0-9A-Za-z_]", "", bubble_name)
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"T{cleaned}"
    return cleaned[:1].upper() + cleaned[1:]


def bubble_url_name(display: str) -> str:
    """The name Bubble gives a type in its URLs: lower case, without spaces."""
    return re.sub(r"[^0-9a-z_\-]", "", display.lower())


# --- from the Swagger file --------------------------------------------------------------


def from_swagger(document: Mapping[str, Any]) -> Plan:
    """The plan of a Swagger 2.0 file as Bubble writes it: one definition per exposed type
    (``/obj/<name>`` paths name them), one ``/wf/<name>`` path per exposed workflow."""
    if not isinstance(document, Mapping) or not str(document.get("swagger", "")).startswith("2"):
        raise ValueError('not a Swagger 2.0 document (no "swagger": "2.0")')
    plan = Plan(source="swagger")
    definitions = _mapping(document.get("definitions"))
    paths = _mapping(document.get("paths"))
    names = _obj_names(paths) or [n for n in map(str, definitions) if _URL_NAME.fullmatch(n)]
    names = _at_most(names, MAX_TYPES, "types", plan)
    known = {bubble_url_name(n) for n in names} | {USER}
    by_url_name: dict[str, Any] = {}
    for name, schema in definitions.items():
        by_url_name.setdefault(bubble_url_name(str(name)), schema)
    for bubble_name in names:
        schema = definitions.get(bubble_name) or by_url_name.get(bubble_name)
        if not isinstance(schema, Mapping):
            plan.not_mapped.append(NotMapped(bubble_name, "no definition in the Swagger file"))
            continue
        plan.types.append(_type_from_schema(bubble_name, schema, known, plan))
    shells = [
        (match.group(1), operations)
        for path, operations in sorted(paths.items(), key=lambda item: str(item[0]))
        if (match := re.fullmatch(r"/wf/([^/]+)/?", str(path))) and isinstance(operations, Mapping)
    ]
    for name, operations in _at_most(shells, MAX_WORKFLOWS, "API workflows", plan):
        plan.workflows.append(_workflow_from_path(name, operations, known, plan))
    return plan


def _obj_names(paths: Mapping[str, Any]) -> list[str]:
    """The types of ``/obj/<name>`` paths, in order, each once."""
    found: dict[str, None] = {}
    for path in paths:
        match = re.fullmatch(r"/obj/([^/{}]+)/?", str(path))
        if match and _URL_NAME.fullmatch(match.group(1)):
            found.setdefault(match.group(1))
    return list(found)


def _at_most(items: list[Any], most: int, what: str, plan: Plan) -> list[Any]:
    """The first ``most`` of ``items``; the rest said in the plan's notes (an app this large
    is read in parts, with ``--types``)."""
    if len(items) > most:
        plan.notes.append(f"only the first {most} of {len(items)} {what} are read")
    return items[:most]


def _type_from_schema(
    bubble_name: str, schema: Mapping[str, Any], known: set[str], plan: Plan
) -> TypePlan:
    display = str(schema.get("title") or "")
    typed = TypePlan(bubble_name, type_name(bubble_name, display), users=bubble_name == USER)
    properties = list(_mapping(schema.get("properties")).items())
    for key, prop in _at_most(properties, MAX_FIELDS, f"fields of {bubble_name}", plan):
        key = str(key)
        if key in BUILT_IN:
            continue
        if typed.users and key.lower() == "email":
            continue  # a user account's own email
        missing: list[str] = []
        _add_field(typed, key, _from_property(_mapping(prop), known, missing))
        _list_missing(plan, f"{bubble_name}.{key}", missing)
    return typed


#: a field's type here: (type, a list?, the data type of a thing, why)
Mapped = tuple[str, bool, str, str]


def _add_field(typed: TypePlan, key: str, mapped: Mapped) -> None:
    kind, is_list, target, why = mapped
    name = field_name(key, [f.name for f in typed.fields])
    typed.fields.append(FieldPlan(key, name, kind, why, is_list, target))


def _list_missing(plan: Plan, where: str, missing: list[str]) -> None:
    """A link to a type the app does not expose: its ids are kept as text, and listed."""
    for name in missing:
        plan.not_mapped.append(
            NotMapped(where, f"links to {name!r}, a type not exposed: its ids kept as text")
        )


def _from_property(prop: Mapping[str, Any], known: set[str], missing: list[str]) -> Mapped:
    """The type of a Swagger property; a link to a type not in ``known`` goes on
    ``missing``."""
    kind = prop.get("type")
    description = str(prop.get("description") or "")
    if kind == "array":
        items = _mapping(prop.get("items"))
        if items.get("type") == "array":
            return "text", False, "", "a list of lists: kept as its JSON text"
        inner = _from_property(
            {**items, "description": items.get("description") or description}, known, missing
        )
        return _listed(inner[0], inner[2], f"array: a list ({inner[3]})")
    if kind == "number" or kind == "integer":
        return "number", False, "", f"{kind}"
    if kind == "boolean":
        return "yes_no", False, "", "boolean"
    if kind == "object":
        props = _mapping(prop.get("properties"))
        if {"address", "lat", "lng"} <= set(props):
            return "geographic_address", False, "", "an object of address, lat and lng"
        return "text", False, "", "an object: kept as its JSON text"
    if kind == "string":
        if prop.get("format") == "date-time":
            return "date", False, "", "string, format date-time"
        referenced = _referenced(description)
        if referenced:
            target = bubble_url_name(referenced)
            if target in known:
                return "thing", False, target, f"a {referenced} represented by a unique id"
            missing.append(referenced)
            return (
                "text",
                False,
                "",
                f"points to {referenced!r}, a type the Swagger file does not expose: its ids "
                "are kept as text",
            )
        return "text", False, "", "string"
    return "text", False, "", f"type {kind!r} is not known: kept as text"


def _referenced(description: str) -> str:
    """The type a field's description says it holds the unique ids of ("This field
    represents a Order Item represented by a unique ID" → ``Order Item``), or ""."""
    found = _REFERENCE.search(description[:_LONGEST_DESCRIPTION])
    if not found:
        return ""
    before = description[: found.start()].strip()
    return re.split(r"\b(?:an?|the)\s+", before, flags=re.I)[-1].strip(" .:,")


def _workflow_from_path(
    name: str, operations: Mapping[str, Any], known: set[str], plan: Plan
) -> WorkflowPlan:
    shell = WorkflowPlan(name)
    operation = _mapping(operations.get("post")) or _mapping(operations.get("get"))
    parameters = operation.get("parameters")
    for parameter in parameters if isinstance(parameters, list) else ():
        if not isinstance(parameter, Mapping):
            continue
        if parameter.get("in") == "body":
            schema = _mapping(parameter.get("schema"))
            listed = schema.get("required")
            required = {str(r) for r in listed} if isinstance(listed, list) else set()
            for key, prop in _mapping(schema.get("properties")).items():
                _add_parameter(shell, str(key), prop, str(key) in required, known, plan)
        elif parameter.get("in") in ("query", "formData"):
            _add_parameter(
                shell,
                str(parameter.get("name")),
                parameter,
                bool(parameter.get("required")),
                known,
                plan,
                querystring=parameter.get("in") == "query",
            )
    return shell


#: field types a workflow parameter can take here (docs/workflow-format.md#parameters)
PARAMETER_TYPES = frozenset({"text", "number", "yes_no", "date", "thing", "file"})


def _add_parameter(
    shell: WorkflowPlan,
    key: str,
    prop: Any,
    required: bool,
    known: set[str],
    plan: Plan,
    *,
    querystring: bool = False,
) -> None:
    missing: list[str] = []
    kind, is_list, target, why = _from_property(_mapping(prop), known, missing)
    _list_missing(plan, f"{shell.name}({key})", missing)
    if kind not in PARAMETER_TYPES:
        kind, why = "text", f"{why}; a parameter of that type does not exist here: text"
    shell.parameters.append(
        ParameterPlan(key, kind, why, is_list, target, required, querystring=querystring)
    )


# --- from /api/1.1/meta -------------------------------------------------------------------

#: Bubble's own names of field types in ``/meta``
_META_TYPES = {
    "text": "text",
    "number": "number",
    "boolean": "yes_no",
    "date": "date",
    "file": "file",
    "image": "image",
    "geographic_address": "geographic_address",
}


def from_meta(document: Mapping[str, Any]) -> Plan:
    """The plan of ``/api/1.1/meta``: ``types`` maps each exposed type's URL name to its
    ``display`` and ``fields`` (each a ``display`` and a ``type`` such as ``text``,
    ``custom.unit``, ``list.custom.unit``, ``user``, ``option.status``). Bubble does not
    document it: whatever does not look so is left out and said."""
    if not isinstance(document, Mapping) or not isinstance(document.get("types"), Mapping):
        raise ValueError('no "types" in /api/1.1/meta')
    plan = Plan(source="meta")
    types = document["types"]
    known = {str(n) for n in types} | {USER}
    for bubble_name, described in _at_most(list(types.items()), MAX_TYPES, "types", plan):
        bubble_name = str(bubble_name)
        if not _URL_NAME.fullmatch(bubble_name):
            plan.not_mapped.append(NotMapped(bubble_name[:100], "not a name Bubble's URLs use"))
            continue
        if not isinstance(described, Mapping):
            plan.not_mapped.append(NotMapped(bubble_name, "not described as an object"))
            continue
        display = str(described.get("display") or "")
        typed = TypePlan(bubble_name, type_name(bubble_name, display), users=bubble_name == USER)
        fields = described.get("fields") or []
        if isinstance(fields, Mapping):  # by id rather than in a list
            fields = [dict(v, id=k) for k, v in fields.items() if isinstance(v, Mapping)]
        if not isinstance(fields, list):
            plan.not_mapped.append(NotMapped(bubble_name, "its fields are not a list"))
            fields = []
        for described_field in _at_most(fields, MAX_FIELDS, f"fields of {bubble_name}", plan):
            if not isinstance(described_field, Mapping):
                continue
            key = str(described_field.get("display") or described_field.get("id") or "")
            if not key or key in BUILT_IN or (typed.users and key.lower() == "email"):
                continue
            missing: list[str] = []
            bubble_type = str(described_field.get("type") or "")
            _add_field(typed, key, _from_meta_type(bubble_type, known, missing))
            _list_missing(plan, f"{bubble_name}.{key}", missing)
        plan.types.append(typed)
    return plan


def _from_meta_type(bubble_type: str, known: set[str], missing: list[str]) -> Mapped:
    is_list = bubble_type.startswith("list.")
    inner = bubble_type[len("list.") :] if is_list else bubble_type
    why = f"Bubble's type {bubble_type!r}"
    if inner in _META_TYPES:
        if is_list:
            return _listed(_META_TYPES[inner], "", why)
        return _META_TYPES[inner], False, "", why
    target = inner[len("custom.") :] if inner.startswith("custom.") else inner
    if target in known:
        return "thing", is_list, target, why
    if inner.startswith("option."):
        return "text", is_list, "", f"{why}: an option set; its displays kept as text"
    if inner.startswith("custom."):
        missing.append(target)
    return "text", is_list, "", f"{why} is not known: kept as text"


# --- from the rows ------------------------------------------------------------------------


def from_rows(rows_by_type: Mapping[str, list[Mapping[str, Any]]]) -> Plan:
    """The plan of types named by the operator (``--types``), each field's type read from
    the values of its first rows: numbers, yes/no, ISO dates, Bubble ids of another
    type's rows (or lists of them), addresses, ``//`` file URLs; anything else is text."""
    plan = Plan(source="rows")
    ids: dict[str, str] = {}
    for bubble_name, rows in rows_by_type.items():
        for row in rows:
            if isinstance(row.get("_id"), str):
                ids[row["_id"]] = bubble_name
    for bubble_name, rows in rows_by_type.items():
        typed = TypePlan(bubble_name, type_name(bubble_name), users=bubble_name == USER)
        keys: list[str] = []
        for row in rows:
            keys += [k for k in row if k not in keys]
        for key in keys:
            if key in BUILT_IN or (typed.users and key.lower() == "email"):
                continue
            values = [row[key] for row in rows if row.get(key) not in (None, "", [])]
            _add_field(typed, key, _from_values(values, ids))
        plan.types.append(typed)
    refine_from_rows(plan, rows_by_type)
    return plan


#: at most this many distinct values, each held by two rows or more on average, make a
#: text field an option-set candidate
OPTION_VALUES = 12


def refine_from_rows(plan: Plan, rows_by_type: Mapping[str, list[Mapping[str, Any]]]) -> None:
    """What only the rows show, for a plan read from a description: text fields holding
    Bubble's file URLs (``//…``) are files or images, and text fields with few distinct
    values are listed as option-set candidates (from the first rows read: a sample)."""
    for typed in plan.types:
        rows = rows_by_type.get(typed.bubble_name) or []
        for planned in typed.fields:
            if planned.type != "text" or planned.list:
                continue
            values = [row[planned.key] for row in rows if row.get(planned.key) not in (None, "")]
            if not values or not all(isinstance(v, str) for v in values):
                continue
            kind = _file_kind(values)
            if kind:
                planned.type, planned.why = (
                    kind,
                    f"{planned.why}; the rows hold Bubble's file URLs (//…)",
                )
                continue
            distinct = sorted(set(values))
            if all(_BUBBLE_ID.match(v) for v in distinct):
                continue  # ids of rows of a type not read, not words
            if len(distinct) <= OPTION_VALUES and len(values) >= 2 * len(distinct):
                plan.option_candidates.append(
                    OptionCandidate(typed.bubble_name, planned.key, distinct)
                )


def _file_kind(values: list[str]) -> str:
    """``image`` or ``file`` when every value is a file URL and one at least Bubble's
    ``//…`` form; else ""."""
    if not all(v.startswith(("//", "https://", "http://")) for v in values):
        return ""
    if not any(v.startswith("//") for v in values):
        return ""
    images = all(re.search(r"\.(png|jpe?g|gif|webp|svg)$", v, re.I) for v in values)
    return "image" if images else "file"


#: field types that cannot be lists here (docs/data-types.md#field-types)
_NOT_LISTS = ("yes_no", "geographic_address")


def _listed(kind: str, target: str, why: str) -> Mapped:
    """A list of ``kind``: a list of texts where this product has no such list (yes/no,
    addresses), said in the reason, so that no value is lost."""
    if kind in _NOT_LISTS:
        return "text", True, "", f"{why}; a list of {kind} does not exist here: a list of texts"
    return kind, True, target, why


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is an object, else an empty one: a description read defensively."""
    return value if isinstance(value, Mapping) else {}


def _parses_as_date(text: str) -> bool:
    try:
        return parse_datetime(text) is not None
    except ValueError:
        return False


def _from_values(values: list[Any], ids: Mapping[str, str]) -> Mapped:
    if not values:
        return "text", False, "", "no row has a value: text"
    if all(isinstance(v, list) for v in values):
        items = [item for v in values for item in v]
        kind, _, target, why = _from_values(items, ids)
        return _listed(kind, target, f"lists ({why})")
    if all(isinstance(v, bool) for v in values):
        return "yes_no", False, "", "every value is true or false"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number", False, "", "every value is a number"
    if all(isinstance(v, Mapping) and {"address", "lat", "lng"} <= set(v) for v in values):
        return "geographic_address", False, "", "every value has address, lat and lng"
    if all(isinstance(v, str) for v in values):
        if all(_BUBBLE_ID.match(v) for v in values):
            targets = {ids[v] for v in values if v in ids}
            if len(targets) == 1:
                target = targets.pop()
                unknown = sum(1 for v in values if v not in ids)
                why = f"the values are ids of {target} rows"
                if unknown:
                    why += f" ({unknown} of no row read: links to deleted rows?)"
                return "thing", False, target, why
            return "text", False, "", "Bubble ids, not of one type's rows read: kept as text"
        kind = _file_kind(values)
        if kind:
            return kind, False, "", "Bubble's file URLs (//…)"
        if all("-" in v and _parses_as_date(v) for v in values):
            return "date", False, "", "every value is an ISO date"
        return "text", False, "", "text"
    return "text", False, "", "mixed values: kept as text"
