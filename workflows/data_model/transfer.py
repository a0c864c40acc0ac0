"""The ``option_sets:`` and ``data_types:`` sections of a definition file
(docs/import-export.md#data-types-and-option-sets): read, checked, compared with what is
stored (a ``Plan``: created, updated, unchanged), applied through ``schema`` — the one way
the data model changes — and written back out (``export_sections``).

``workflows.transfer`` reads a file's sections here and applies the plan first inside the
one ``schema.schema_change`` of an import, before the privacy rules and workflows, which may
name the new types: everything commits or nothing does. The checks are ``schema``'s own
(``field_spec``, ``check_name``...), run before anything is written so that every problem
is listed at once with its line; what only the database can tell (a name taken by a
reference's id column, a unique field over duplicate values) is found when the plan is
applied, and refuses the import the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction

from ..models.data_model import DataField, DataType, OptionSet
from . import builder, definitions, schema

#: the top-level keys of a definition file this module reads, in the order export writes
SECTIONS = ("option_sets", "data_types")
TYPE_KEYS = ("name", "plural", "display_field", "description", "fields")
OPTION_SET_KEYS = ("name", "description", "options")
#: a field's settings an import may change (its type, list, data_type and option_set never)
FIELD_SETTINGS = ("required", "unique", "indexed", "default", "help_text", "bubble_name")
TYPE_SETTINGS = ("plural", "display_field", "description")

# the statuses of ``workflows.transfer.ImportStatus`` (not imported: it imports this module)
CREATED, UPDATED, UNCHANGED, KEPT = "created", "updated", "unchanged", "kept"

LineOf = Callable[[tuple[str | int, ...]], "int | None"]


@dataclass(frozen=True)
class SectionProblem:
    """One reason the sections cannot be imported: ``file:line: data type 'Lead', field
    'score', default: what``."""

    file: str
    line: int | None
    message: str


@dataclass
class Entry:
    """One option set or data type as read from a file, and how to point at its lines."""

    kind: str  # "option set" or "data type"
    definition: Any
    file: str
    line_of: LineOf  # a path within the entry -> its line
    index: int

    @property
    def name(self) -> str | None:
        d = self.definition
        name = d.get("name") if isinstance(d, Mapping) else None
        return name if isinstance(name, str) and name else None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name!r}" if self.name else f"{self.kind} #{self.index + 1}"

    def fields(self) -> list[Any]:
        fields = self.definition.get("fields") if isinstance(self.definition, Mapping) else None
        return fields if isinstance(fields, list) else []

    def problem(self, path: tuple[str | int, ...], message: str) -> SectionProblem:
        where = _where(self, path)
        text = f"{self.label}, {where}: {message}" if where else f"{self.label}: {message}"
        return SectionProblem(self.file, self.line_of(path), text)


def _where(entry: Entry, path: tuple[str | int, ...]) -> str:
    """``("fields", 2, "default")`` as people read it: ``field 'score', default``."""
    parts: list[str] = []
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        raw = entry.fields()[path[1]] if path[1] < len(entry.fields()) else None
        name = raw.get("name") if isinstance(raw, Mapping) else None
        parts.append(f"field {name!r}" if isinstance(name, str) and name else f"fields[{path[1]}]")
        path = path[2:]
    parts += [str(p) for p in path]
    return ", ".join(parts)


def read_sections(
    data: Mapping[str, Any], file: str, line_of: LineOf
) -> tuple[list[Entry], list[Entry], list[SectionProblem]]:
    """The option sets and data types of a parsed file, or why a section is not a list."""
    found: dict[str, list[Entry]] = {section: [] for section in SECTIONS}
    problems = []
    for section, kind in zip(SECTIONS, ("option set", "data type"), strict=True):
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(SectionProblem(file, line_of((section,)), f"{section} must be a list"))
            continue
        found[section] = [
            Entry(kind, _without_nulls(d), file, _prefixed(line_of, (section, i)), i)
            for i, d in enumerate(items)
        ]
    return found["option_sets"], found["data_types"], problems


def _without_nulls(d: Any) -> Any:
    """An entry (and each of its fields) with ``key: null`` read as the key left out, as
    everywhere in the file format (docs/import-export.md)."""
    if not isinstance(d, Mapping):
        return d
    out = {k: v for k, v in d.items() if v is not None}
    if isinstance(out.get("fields"), list):
        out["fields"] = [_without_nulls(f) for f in out["fields"]]
    return out


def _prefixed(line_of: LineOf, prefix: tuple[str | int, ...]) -> LineOf:
    return lambda path: line_of((*prefix, *path))


def export_sections() -> dict[str, list[dict[str, Any]]]:
    """``option_sets`` and ``data_types`` as a file writes them, by name (live fields
    only); a section with nothing in it is left out."""
    sections: dict[str, list[dict[str, Any]]] = {}
    option_sets = OptionSet.objects.order_by("name")
    if option_sets:
        sections["option_sets"] = [definitions.option_set_definition(o) for o in option_sets]
    data_types = DataType.objects.order_by("name")
    if data_types:
        sections["data_types"] = [definitions.type_definition(t) for t in data_types]
    return sections


# --- the plan -------------------------------------------------------------------------------


@dataclass
class OptionSetPlan:
    entry: Entry
    status: str
    notes: list[str] = field(default_factory=list)


@dataclass
class TypePlan:
    """What importing one data type does to the stored one."""

    entry: Entry
    status: str
    stored: DataType | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # for ``change_data_type``
    added: list[Mapping[str, Any]] = field(default_factory=list)  # for ``add_field``
    changed: list[tuple[DataField, dict[str, Any]]] = field(default_factory=list)
    missing: list[DataField] = field(default_factory=list)  # stored, not in the file
    #: what the changes will cost a large table (``schema.plan_add_field``...), said first
    costs: list[str] = field(default_factory=list)

    def notes(self, *, delete_missing: bool) -> list[str]:
        notes = []
        if "name" in self.settings:
            notes.append(f"renamed to {self.settings['name']}")
        settings = [k for k in self.settings if k != "name"]
        if settings:
            notes.append(f"changed: {', '.join(settings)}")
        if self.added:
            notes.append(f"new fields: {', '.join(str(raw['name']) for raw in self.added)}")
        for stored, values in self.changed:
            notes.append(f"changed field {stored.name}: {', '.join(values)}")
        if self.missing:
            names = ", ".join(f.name for f in self.missing)
            if delete_missing:
                notes.append(f"fields not in the file, deleted (restorable): {names}")
            else:
                notes.append(
                    f"fields not in the file, kept: {names} (an import deletes no field "
                    "unless --delete-missing-fields is given)"
                )
        return notes + self.costs


@dataclass
class Plan:
    """The option sets and data types of an import, checked and compared with the stored
    ones. ``problems`` empty: ``apply`` may run (inside ``schema.schema_change``)."""

    option_sets: list[OptionSetPlan] = field(default_factory=list)
    data_types: list[TypePlan] = field(default_factory=list)
    problems: list[SectionProblem] = field(default_factory=list)
    delete_missing_fields: bool = False

    @property
    def changes(self) -> bool:
        return any(p.status in (CREATED, UPDATED) for p in (*self.option_sets, *self.data_types))

    def apply(self, *, user: Any, source: str) -> list[SectionProblem]:
        """Make the planned changes, in order: option sets, new data types (together, so
        they may point at each other), then the changes of existing ones. Stops at the
        first refusal and says where it is; the caller's transaction then rolls back."""
        for plan in self.option_sets:
            if plan.status in (CREATED, UPDATED):
                d = plan.entry.definition
                problem = _run(
                    [plan.entry], lambda d=d: schema.save_option_set(d, user=user, source=source)
                )
                if problem:
                    return [problem]
        new = [p.entry for p in self.data_types if p.status == CREATED]
        if new:
            raws = [e.definition for e in new]
            problem = _run(new, lambda: schema.create_data_types(raws, user=user, source=source))
            if problem:
                return [problem]
        for plan in self.data_types:
            if plan.status == UPDATED:
                problem = _apply_type(plan, self.delete_missing_fields, user=user, source=source)
                if problem:
                    return [problem]
        return []


def _apply_type(plan: TypePlan, delete_missing: bool, *, user: Any, source: str):
    """Fields first (the display field may be a new one), then the type's settings, then
    the deletions asked for (after the display field moved away from them)."""
    assert plan.stored is not None
    data_type, entry = plan.stored, [plan.entry]
    steps: list[Callable[[], Any]] = [
        *(
            (lambda raw=raw: schema.add_field(data_type, raw, user=user, source=source))
            for raw in plan.added
        ),
        *(
            (lambda f=f, v=v: schema.change_field(f, v, user=user, source=source))
            for f, v in plan.changed
        ),
    ]
    if plan.settings:
        steps.append(
            lambda: schema.change_data_type(data_type, plan.settings, user=user, source=source)
        )
    if delete_missing:
        steps += [
            (lambda f=f: schema.delete_field(f, user=user, source=source)) for f in plan.missing
        ]
    for step in steps:
        problem = _run(entry, step)
        if problem:
            return problem
    return None


def _run(entries: list[Entry], step: Callable[[], Any]) -> SectionProblem | None:
    """Run one service in a savepoint (a refused step leaves nothing half-made behind it,
    and PostgreSQL's transaction stays usable to say so)."""
    try:
        with transaction.atomic():
            step()
    except schema.SchemaError as exc:
        return _locate(exc, entries)
    except DatabaseError as exc:
        entry = entries[0]
        return entry.problem((), f"the database refused the change: {exc}")
    return None


def _locate(exc: schema.SchemaError, entries: list[Entry]) -> SectionProblem:
    """A service's ``SchemaError`` (``where``: ``Lead`` or ``Lead.email``) at its line."""
    type_name, _, field_name = exc.where.partition(".")
    entry = next((e for e in entries if e.name and e.name.lower() == type_name.lower()), entries[0])
    message = _message(exc)
    if entry.kind == "option set":
        path: tuple[str | int, ...] = ("options",) if field_name else _key_path(entry, exc.key)
        return entry.problem(path, exc.message if field_name else message)
    if field_name:
        for j, raw in enumerate(entry.fields()):
            if isinstance(raw, Mapping) and str(raw.get("name")).lower() == field_name.lower():
                key = (exc.key,) if exc.key and exc.key in raw else ()
                return entry.problem(("fields", j, *key), message)
        return entry.problem(("fields",), exc.message)
    return entry.problem(_key_path(entry, exc.key), message)


def _key_path(entry: Entry, key: str) -> tuple[str | int, ...]:
    d = entry.definition
    return (key,) if key and isinstance(d, Mapping) and key in d else ()


def _message(exc: schema.SchemaError) -> str:
    """The message without its ``where: `` (the problem's label says it)."""
    prefix = f"{exc.where}: "
    return (
        exc.message[len(prefix) :] if exc.where and exc.message.startswith(prefix) else exc.message
    )


def plan_sections(
    option_sets: list[Entry],
    data_types: list[Entry],
    *,
    delete_missing_fields: bool = False,
    keep_existing: bool = False,
) -> Plan:
    """Check every entry (all problems at once) and compare it with what is stored.
    Reads the database; writes nothing."""
    plan = Plan(delete_missing_fields=delete_missing_fields)
    set_names = _names(option_sets, plan.problems)
    type_names = _names(data_types, plan.problems)
    for entry in option_sets:
        checked = _option_set_plan(entry)
        if isinstance(checked, OptionSetPlan):
            plan.option_sets.append(checked)
        else:
            plan.problems += checked
    stored_types = {t.name.lower(): t for t in DataType.objects.all()}
    pending = {
        lower: stored_types.get(lower) or DataType(name=entry.name)
        for lower, entry in type_names.items()
    }
    for entry in data_types:
        checked = _type_plan(entry, stored_types, pending, set(set_names))
        if isinstance(checked, TypePlan):
            if checked.status == UNCHANGED and (
                checked.settings
                or checked.added
                or checked.changed
                or (delete_missing_fields and checked.missing)
            ):
                checked.status = UPDATED
            plan.data_types.append(checked)
        else:
            plan.problems += checked
    if keep_existing:
        for p in (*plan.option_sets, *plan.data_types):
            p.status = KEPT if p.status == UPDATED else p.status
    return plan


def _names(entries: list[Entry], problems: list[SectionProblem]) -> dict[str, Entry]:
    """The entries by lower-cased name; a name given twice (in any case) is a problem."""
    first: dict[str, Entry] = {}
    for entry in entries:
        if entry.name is None:
            continue
        earlier = first.get(entry.name.lower())
        if earlier is None:
            first[entry.name.lower()] = entry
            continue
        at = f"{earlier.file}:{earlier.line_of(())}"
        problems.append(entry.problem(("name",), f"a {entry.kind} of this name is also at {at}"))
    return first


def _entry_shape(entry: Entry, keys: tuple[str, ...]) -> list[SectionProblem]:
    if not isinstance(entry.definition, Mapping):
        return [entry.problem((), f"a {entry.kind} is a mapping {{{', '.join(keys)}}}")]
    return [
        entry.problem((key,), f"unknown key (keys: {', '.join(keys)})")
        for key in entry.definition
        if key not in keys
    ]


def _option_set_plan(entry: Entry) -> OptionSetPlan | list[SectionProblem]:
    problems = _entry_shape(entry, OPTION_SET_KEYS)
    if problems:
        return problems
    d = entry.definition
    try:
        name = schema.check_name(d.get("name"), what="option set", where="")
    except schema.SchemaError as exc:
        return [entry.problem(("name",), exc.message)]
    try:
        options = schema._options(d.get("options"), name)
    except schema.SchemaError as exc:
        return [entry.problem(("options",), _message(exc))]
    description = d.get("description") or ""
    if not isinstance(description, str):
        return [entry.problem(("description",), "description must be text")]
    stored = OptionSet.objects.filter(name__iexact=name).first()
    if stored is None:
        return OptionSetPlan(entry, CREATED)
    before = definitions.option_set_definition(stored)
    old = schema._options(before["options"], stored.name)
    if (stored.name, stored.description, old) == (name, description, options):
        return OptionSetPlan(entry, UNCHANGED)
    return OptionSetPlan(entry, UPDATED, _option_notes(stored, name, description, old, options))


def _option_notes(stored: OptionSet, name: str, description: str, old: list, new: list):
    notes = [f"renamed to {name}"] if stored.name != name else []
    if stored.description != description:
        notes.append("changed: description")
    old_names = {d.lower(): d for d, _ in old}
    new_names = {d.lower(): d for d, _ in new}
    added = [d for lower, d in new_names.items() if lower not in old_names]
    removed = [d for lower, d in old_names.items() if lower not in new_names]
    if added:
        notes.append(f"new options: {', '.join(added)}")
    if removed:
        notes.append(f"options removed: {', '.join(removed)} (things that picked them read empty)")
    kept_old = [(d.lower(), a) for d, a in old if d.lower() in new_names]
    kept_new = [(d.lower(), a) for d, a in new if d.lower() in old_names]
    renamed = any(old_names[k] != new_names[k] for k in old_names.keys() & new_names.keys())
    if kept_old != kept_new or renamed:
        notes.append("options reordered, respelled or given other attributes")
    return notes


def _type_plan(
    entry: Entry,
    stored_types: Mapping[str, DataType],
    pending: Mapping[str, DataType],
    set_names: set[str],
) -> TypePlan | list[SectionProblem]:
    problems = _entry_shape(entry, TYPE_KEYS)
    if problems:
        return problems
    d = entry.definition
    try:
        name = schema.check_name(d.get("name"), what="data type", where="")
    except schema.SchemaError as exc:
        return [entry.problem(("name",), exc.message)]
    if name.lower() == definitions.USER_TYPE.lower():
        return [
            entry.problem(
                ("name",), "User is the user model (Bubble's built-in User type): choose another"
            )
        ]
    try:
        settings = schema._type_values(d, name)
    except schema.SchemaError as exc:
        return [entry.problem(_key_path(entry, exc.key), _message(exc))]
    if d.get("fields") is not None and not isinstance(d.get("fields"), list):
        return [entry.problem(("fields",), "fields must be a list of fields {name, type, ...}")]
    stored = stored_types.get(name.lower())
    live = _live_fields(stored) if stored is not None else {}
    specs: list[tuple[int, Mapping[str, Any], schema.FieldSpec | None]] = []
    seen: dict[str, int] = {}
    for j, raw in enumerate(entry.fields()):
        field = live.get(str(raw.get("name")).lower()) if isinstance(raw, Mapping) else None
        if field is not None and (raw.get("type"), raw.get("list") is True) != (
            field.type,
            field.is_list,
        ):  # said before what field_spec finds wrong with the new type's other settings
            problems.append(_type_changed(entry, j, raw, field))
            continue
        lower = str(raw.get("name")).lower() if isinstance(raw, Mapping) else None
        if lower in seen:
            problems.append(entry.problem(("fields", j, "name"), "this field is listed twice"))
            continue
        if lower is not None:
            seen[lower] = j
        checked = _field_spec(entry, j, raw, pending, set_names)
        if isinstance(checked, list):
            problems += checked
            continue
        specs.append((j, raw, checked))
    if problems:
        return problems
    display = _display_field_problem(entry, name, settings["display_field"], live)
    if display:
        return [display]
    if stored is None:
        return TypePlan(entry, CREATED)
    return _compare(entry, stored, live, name, settings, specs)


def _display_field_problem(
    entry: Entry, type_name: str, display_field: str, live: Mapping[str, DataField]
) -> SectionProblem | None:
    """``schema``'s rule for a display field, said before anything is made: a text, number
    or date field (not a list) of the file's fields or the stored ones it keeps."""
    if not display_field:
        return None
    kinds = {f.name: (f.type, f.is_list) for f in live.values()}
    for raw in entry.fields():
        kinds[str(raw.get("name"))] = (raw.get("type"), raw.get("list") is True)
    kind = kinds.get(display_field)
    if kind is not None and kind[0] in schema.DISPLAY_FIELD_TYPES and not kind[1]:
        return None
    return entry.problem(
        ("display_field",),
        f"display_field {display_field!r} is not a text, number or date field of {type_name}",
    )


def _live_fields(data_type: DataType) -> dict[str, DataField]:
    fields = data_type.fields.filter(deleted_at__isnull=True).select_related(
        "target_type", "option_set"
    )
    return {f.name.lower(): f for f in fields}


def _field_spec(
    entry: Entry,
    j: int,
    raw: Any,
    pending: Mapping[str, DataType],
    set_names: set[str],
) -> schema.FieldSpec | None | list[SectionProblem]:
    """``schema.field_spec``'s checks of one field of the file (None: fine so far, but its
    option set is one the same import makes, which is looked up when it is made)."""
    if not isinstance(raw, Mapping):
        return [entry.problem(("fields", j), "a field is a mapping {name, type, ...}")]
    if "deleted" in raw:
        return [
            entry.problem(
                ("fields", j, "deleted"),
                "a file holds live fields only: leave a deleted field out",
            )
        ]
    name = raw.get("name")
    try:
        schema.check_name(name, what="field", where="")
    except schema.SchemaError as exc:
        return [entry.problem(("fields", j, "name"), exc.message)]
    if name.lower() in schema.RESERVED_FIELD_NAMES or hasattr(builder.ThingModel, name):
        return [
            entry.problem(("fields", j, "name"), f"{name!r} is a built-in name; choose another")
        ]
    try:
        return schema.field_spec(DataType(name=entry.name), raw, pending=pending)
    except schema.SchemaError as exc:
        if exc.key == "option_set" and str(raw.get("option_set")).lower() in set_names:
            return None
        key = (exc.key,) if exc.key and exc.key in raw else ()
        return [entry.problem(("fields", j, *key), _message(exc))]


def _target_name(target_type: DataType | None, target_model: str) -> str:
    if target_type is not None:
        return target_type.name
    return definitions.target_model_name(target_model) if target_model else ""


def _describe(type_name: str, is_list: bool, target: str, option_set: str) -> str:
    """``a number``, ``a list of thing of Lead``, ``an option of Stage``."""
    what = f"{type_name} of {target or option_set}" if (target or option_set) else type_name
    if is_list:
        return f"a list of {what}"
    return f"{'an' if what[0] in 'aeiou' else 'a'} {what}"


def _type_changed(entry: Entry, j: int, raw: Mapping[str, Any], field: DataField, key="type"):
    old = _describe(
        field.type,
        field.is_list,
        _target_name(field.target_type, field.target_model),
        field.option_set.name if field.option_set_id else "",
    )
    new = _describe(
        str(raw.get("type")),
        raw.get("list") is True,
        str(raw.get("data_type") or ""),
        str(raw.get("option_set") or ""),
    )
    return entry.problem(
        ("fields", j, key) if key in raw else ("fields", j),
        f"a field's type cannot change: {field} is {old}, the file makes it {new}; add a new "
        "field (under another name) instead",
    )


def _compare(
    entry: Entry,
    stored: DataType,
    live: dict[str, DataField],
    name: str,
    settings: Mapping[str, Any],
    specs: list[tuple[int, Mapping[str, Any], schema.FieldSpec | None]],
) -> TypePlan | list[SectionProblem]:
    """An existing type against the file: fields added, settings changed, a field pointing
    elsewhere refused (a field's type never changes, as in Bubble)."""
    plan = TypePlan(entry, UNCHANGED, stored=stored)
    if stored.name != name:
        plan.settings["name"] = name
    for key in TYPE_SETTINGS:
        if getattr(stored, key) != settings[key]:
            plan.settings[key] = settings[key]
    live = dict(live)
    problems = []
    for j, raw, spec in specs:
        field = live.pop(str(raw["name"]).lower(), None)
        if field is None:
            plan.added.append(raw)
            continue
        old_target = _target_name(field.target_type, field.target_model)
        old_set = field.option_set.name if field.option_set_id else ""
        if spec is None or old_set.lower() != str(raw.get("option_set") or "").lower():
            problems.append(_type_changed(entry, j, raw, field, "option_set"))
            continue
        if old_target.lower() != _target_name(spec.target_type, spec.target_model).lower():
            problems.append(_type_changed(entry, j, raw, field, "data_type"))
            continue
        values = {
            k: getattr(spec, k) for k in FIELD_SETTINGS if getattr(spec, k) != getattr(field, k)
        }
        if spec.name != field.name:
            values = {"name": spec.name, **values}
        if values:
            plan.changed.append((field, values))
    if problems:
        return problems
    plan.missing = sorted(live.values(), key=lambda f: (f.position, f.pk))
    if plan.added or plan.changed:
        plan.costs = [n for raw in plan.added for n in schema.plan_add_field(stored, raw)]
        plan.costs += [n for f, values in plan.changed for n in schema.plan_change_field(f, values)]
    return plan
