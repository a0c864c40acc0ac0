"""The work of a CSV import (workflows.data_model.csv_io): rows first, links second.

``Loader.read`` takes a file a batch of rows at a time: each cell read by its column's
codec, each row checked as a save checks it, unique fields checked for the batch at once,
references set when their things are known, the good rows inserted with ``bulk_create``
(Bubble's built-in fields set here, since ``bulk_create`` calls no ``save()``).
``Loader.link`` then writes the references that waited and every list, refuses the rows
whose references name nothing (and, keeping the good rows, those that link to a refused
one), and removes the rows refused after their insert.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models.signals import post_save

from .. import accounts, data_types
from ..bubble_fields import UNIQUE_ID
from ..models.data_model import Option
from .csv_columns import Column
from .csv_report import FileReport, ImportRefused, ImportReport, RowError
from .csv_targets import LOOKUP_CHUNK, Targets, chunks
from .csv_values import CellError, read_list, reference_form, unshield

#: rows read, checked, looked up and inserted together
BATCH = 1000
Model = type[models.Model]


@dataclass
class Plan:
    """A file opened, its header mapped."""

    source: str
    model: Model
    report: FileReport
    columns: list[Column | None]
    records: Iterator[tuple[int, list[str]]]
    #: the model's references, looked up in bulk rather than by ``full_clean``
    relations: list[str] = field(default_factory=list)
    #: Bubble's built-in fields: the model has a modified date (the created date unless a
    #: cell says), a creator the file does not give (the importing user)
    dated: bool = False
    fill_creator: bool = False

    def __post_init__(self) -> None:
        meta = self.model._meta
        names = {f.name for f in meta.concrete_fields}
        given = {c.name for c in self.columns if c is not None}
        self.relations = [f.name for f in meta.concrete_fields if f.is_relation]
        self.dated = "modified_date" in names
        self.fill_creator = "created_by" in names and "created_by" not in given


@dataclass
class _Row:
    """A row read and checked, before it is inserted."""

    line: int
    thing: models.Model
    #: (column, the texts of the things it names): written once looked up
    links: list[tuple[Column, list[str]]] = field(default_factory=list)
    #: (column, pk) of the references set before the insert
    now: list[tuple[Column, int]] = field(default_factory=list)


@dataclass
class _Link:
    """A reference or list of an inserted row, to write once every row exists."""

    model: Model
    pk: int
    column: Column
    tokens: list[str]


class Loader:
    def __init__(self, report: ImportReport, *, keep_good_rows: bool, user: Any, empty: bool):
        self.report = report
        self.keep_good_rows = keep_good_rows
        self.user = user
        self.empty = empty
        self.targets: dict[tuple[Model, int | None], Targets] = {}
        #: per model: unique id → pk of the rows this import inserted
        self.imported: dict[Model, dict[str, int]] = {}
        #: per model: unique id → where the row that was refused is
        self.refused_ids: dict[Model, dict[str, str]] = {}
        #: per model: pk → (file report, line) of every row inserted
        self.inserted: dict[Model, dict[int, tuple[FileReport, int]]] = {}
        #: per (model, field): value → where it is, for unique fields
        self.seen: dict[tuple[Model, str], dict[Any, str]] = {}
        self.pending: list[_Link] = []
        #: (from model, from pk, field, to model, to pk): links between rows of the import
        self.between: list[tuple[Model, int, str, Model, int]] = []
        #: rows inserted, then refused (a link that names nothing, a refused row)
        self.dropped: set[tuple[Model, int]] = set()
        #: the types whose table was empty when the import began: every row there is one of
        #: the import's, so a value unique in the import is unique in the table
        self.was_empty: dict[Model, bool] = {}

    # --- rows ---------------------------------------------------------------------------

    def read(self, plan: Plan) -> None:
        """Read, check and insert the file's rows, a batch at a time."""
        if plan.model not in self.was_empty:
            self.was_empty[plan.model] = not plan.model._base_manager.exists()
        while batch := list(itertools.islice(plan.records, BATCH)):
            plan.report.rows += len(batch)
            rows = [row for line, cells in batch if (row := self._row(plan, line, cells))]
            rows = self._unique(plan, rows)
            rows = self._resolve(plan, rows)
            self._insert(plan, rows)

    def _refuse(self, plan: Plan, line: int, field: str, message: str) -> None:
        self.report.errors.append(RowError(plan.source, line, field, message))

    def _row(self, plan: Plan, line: int, cells: list[str]) -> _Row | None:
        errors = len(self.report.errors)
        columns = plan.columns
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            self._refuse(plan, line, "", f"{len(cells)} cells, but {len(columns)} columns")
            return None
        values: dict[str, Any] = {}
        links: list[tuple[Column, list[str]]] = []
        for column, text in zip(
            columns, itertools.chain(cells, itertools.repeat("")), strict=False
        ):
            if column is None:
                continue
            try:
                value = self._cell(column, text)
            except CellError as exc:
                self._refuse(plan, line, column.name, str(exc))
                continue
            if column.reference:
                tokens = value if column.is_list else [] if value is None else [value]
                if self._check_tokens(plan, line, column, tokens):
                    links.append((column, list(dict.fromkeys(tokens))))
            elif value is not None or column.field.null or not column.field.has_default():
                values[column.field.attname] = _empty(column.field) if value is None else value
        if len(self.report.errors) > errors:
            return None
        thing = plan.model(**values)
        self._built_ins(plan, thing, values)
        if self._check(plan, line, thing, values, links):
            return _Row(line, thing, links)
        self._forget_refused(plan, thing, line)
        return None

    def _cell(self, column: Column, text: str) -> Any:
        if column.codec.text_cells:
            text = unshield(text)  # an export's ``'`` before a formula's start
        if column.is_list:
            return read_list(column.codec, text)
        if not text.strip():
            return None
        value = column.codec.read(text if column.codec.name == "text" else text.strip())
        if column.name == "unique_id" and not UNIQUE_ID.fullmatch(value):
            raise CellError(
                f"{value!r} is not a unique id (digits, x, digits, as Bubble's: "
                "1449154312665x293260311940684900)"
            )
        return value

    def _check_tokens(self, plan: Plan, line: int, column: Column, tokens: list[str]) -> bool:
        """A reference is written as its target can be found: by unique id only where the
        target has them, by numeric id, or (a user) by email or username."""
        target = column.target
        if column.option_set_id is not None or target is Option:
            return True
        has_unique_id = any(f.name == "unique_id" for f in target._meta.concrete_fields)
        for token in tokens:
            form = reference_form(token)
            if form == "unique_id" and not has_unique_id:
                self._refuse(
                    plan,
                    line,
                    column.name,
                    f"{token!r} is a unique id, but {data_types.label_of(target)} has none: "
                    "use its numeric id",
                )
                return False
            if form == "text" and not accounts.is_user_model(target):
                self._refuse(
                    plan,
                    line,
                    column.name,
                    f"{token!r} is not a unique id (1449154312665x293260311940684900) or an id",
                )
                return False
        return True

    def _built_ins(self, plan: Plan, thing: models.Model, values: Mapping[str, Any]) -> None:
        """Bubble's built-in fields, which ``save()`` would set and ``bulk_create`` does not:
        the modified date is the created date unless the file says, the creator the
        importing user unless the file has a ``Created By`` column."""
        if plan.dated and "modified_date" not in values:
            thing.modified_date = thing.created_date
        if plan.fill_creator and self.user is not None:
            thing.created_by_id = self.user.pk

    def _check(
        self,
        plan: Plan,
        line: int,
        thing: models.Model,
        values: Mapping[str, Any],
        links: list[tuple[Column, list[str]]],
    ) -> bool:
        """As a save would check it (``full_clean``), but references are looked up later,
        in bulk, and unique fields are checked for the batch at once."""
        ok = True
        try:
            thing.full_clean(
                exclude=plan.relations, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            ok = False
            for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
                name = "" if name == "__all__" else name
                self._refuse(plan, line, name, " ".join(messages))
        for attname, value in values.items():
            if not isinstance(value, str | list | dict):
                continue  # numbers and dates: their codecs took only finite ones in range
            problem = data_types.storable_problem(value)
            if problem is not None:
                ok = False
                self._refuse(plan, line, attname.removesuffix("_id"), problem)
        given = {column.name for column, tokens in links if tokens}
        for column in plan.columns:
            if column and column.reference and column.required and column.name not in given:
                ok = False
                self._refuse(plan, line, column.name, "This field is required.")
        return ok

    def _forget_refused(self, plan: Plan, thing: models.Model, line: int) -> None:
        unique_id = getattr(thing, "unique_id", None)
        if unique_id and any(c is not None and c.name == "unique_id" for c in plan.columns):
            self.refused_ids.setdefault(plan.model, {})[unique_id] = f"{plan.source} line {line}"

    def _unique(self, plan: Plan, rows: list[_Row]) -> list[_Row]:
        """Unique fields: a value once in the import, and not already in the database (one
        query per field for the batch)."""
        model = plan.model
        given = {c.name for c in plan.columns if c is not None}
        fields = [
            f
            for f in model._meta.concrete_fields
            if f.unique and not f.primary_key and not f.is_relation and f.name in given
        ]
        bad: set[int] = set()
        for f in fields:
            seen = self.seen.setdefault((model, f.name), {})
            fresh: dict[Any, _Row] = {}
            for row in rows:
                value = getattr(row.thing, f.attname)
                if value is None or value == "":
                    continue
                if value in seen or value in fresh:
                    where = seen.get(value) or f"{plan.source} line {fresh[value].line}"
                    self._refuse(plan, row.line, f.name, f"{value!r} is also on {where}")
                    bad.add(row.line)
                else:
                    fresh[value] = row
            if self.was_empty[model]:
                continue
            for chunk in chunks(list(fresh), LOOKUP_CHUNK):
                taken = model._base_manager.filter(**{f"{f.attname}__in": chunk})
                for value in taken.values_list(f.attname, flat=True):
                    row = fresh[value]
                    label = data_types.label_of(model)
                    self._refuse(plan, row.line, f.name, f"{value!r} is taken by another {label}")
                    bad.add(row.line)
        good = [row for row in rows if row.line not in bad]
        for row in rows:
            if row.line in bad:
                self._forget_refused(plan, row.thing, row.line)
        for f in fields:
            seen = self.seen[(model, f.name)]
            for row in good:
                value = getattr(row.thing, f.attname)
                if value is not None and value != "":
                    seen[value] = f"{plan.source} line {row.line}"
        return good

    def _resolve(self, plan: Plan, rows: list[_Row]) -> list[_Row]:
        """Set each reference whose thing is known now (in the database, or inserted earlier
        in the import): one look-up per target for the batch. The others wait for
        ``link``; a reference that cannot wait (a column that may not be empty) is refused."""
        wanted: dict[Targets, set[str]] = {}
        for row in rows:
            for column, tokens in row.links:
                if not column.field.many_to_many:
                    wanted.setdefault(self._targets(column), set()).update(tokens)
        for targets, tokens in wanted.items():
            targets.look_up(tokens)
        good = []
        for row in rows:
            later = []
            ok = True
            for column, tokens in row.links:
                if column.field.many_to_many or not tokens:
                    later.append((column, tokens))
                    continue
                targets = self._targets(column)
                pk = targets.get(tokens[0])
                if pk is not None:
                    setattr(row.thing, column.field.attname, pk)
                    row.now.append((column, pk))
                elif column.field.null:
                    later.append((column, tokens))
                else:
                    ok = False
                    self._refuse(plan, row.line, column.name, self._missing(targets, tokens[0]))
            row.links = later
            if ok:
                good.append(row)
            else:
                self._forget_refused(plan, row.thing, row.line)
        return good

    def _insert(self, plan: Plan, rows: list[_Row]) -> None:
        """``bulk_create`` the batch; if the database refuses it (a constraint no check
        foresaw), row by row, each in its savepoint, to say which row."""
        if not rows:
            return
        model = plan.model
        try:
            with transaction.atomic():
                model._base_manager.bulk_create([row.thing for row in rows])
        except DatabaseError:
            inserted = []
            for row in rows:
                row.thing.pk = None
                row.thing._state.adding = True
                try:
                    with transaction.atomic():
                        model._base_manager.bulk_create([row.thing])
                except DatabaseError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    self._refuse(plan, row.line, "", f"the database refused it: {first}")
                    self._forget_refused(plan, row.thing, row.line)
                else:
                    inserted.append(row)
            rows = inserted
        imported = self.imported.setdefault(model, {})
        where = self.inserted.setdefault(model, {})
        for row in rows:
            pk = row.thing.pk
            if pk is None:  # a database that cannot return the new ids from bulk_create
                raise ImportRefused(f"{model._meta.label}: the database gave no ids back")
            where[pk] = (plan.report, row.line)
            unique_id = getattr(row.thing, "unique_id", None)
            if unique_id:
                imported[unique_id] = pk
            for column, target_pk in row.now:
                self._between(model, pk, column, target_pk)
            for column, tokens in row.links:
                if tokens:
                    self.pending.append(_Link(model, pk, column, tokens))

    # --- links ---------------------------------------------------------------------------

    def _targets(self, column: Column) -> Targets:
        key = (column.target, column.option_set_id)
        if key not in self.targets:
            imported = self.imported.setdefault(column.target, {})
            self.targets[key] = Targets(column.target, column.option_set_id, imported)
        return self.targets[key]

    def _between(self, model: Model, pk: int, column: Column, target_pk: int) -> None:
        if target_pk in self.inserted.get(column.target, {}):
            self.between.append((model, pk, column.name, column.target, target_pk))

    def _missing(self, targets: Targets, token: str) -> str:
        refused = self.refused_ids.get(targets.model, {}).get(token)
        if refused:
            return f"{token!r} is {refused}, which was refused"
        return targets.missing(token)

    def link(self) -> None:
        """Write the references that waited and every list, once all rows exist; a reference
        that names nothing refuses its row (or is left empty, ``empty_missing_links``)."""
        wanted: dict[Targets, set[str]] = {}
        for link in self.pending:
            wanted.setdefault(self._targets(link.column), set()).update(link.tokens)
        for targets, tokens in wanted.items():
            targets.look_up(tokens)
        resolved: list[tuple[_Link, list[int]]] = []
        for link in self.pending:
            targets = self._targets(link.column)
            pks = []
            for token in link.tokens:
                pk = targets.get(token)
                if pk is not None:
                    pks.append(pk)
                    self._between(link.model, link.pk, link.column, pk)
                elif self.empty and not self.refused_ids.get(targets.model, {}).get(token):
                    self.inserted[link.model][link.pk][0].emptied_links += 1
                else:
                    self._drop(link.model, link.pk, link.column.name, self._missing(targets, token))
            resolved.append((link, pks))
        if self.keep_good_rows:
            self._drop_linked()
        elif self.report.errors:
            return  # all of it is rolled back: nothing to write
        self._write(resolved)
        self._delete_dropped()

    def _drop(self, model: Model, pk: int, field_name: str, message: str) -> None:
        if (model, pk) in self.dropped:
            return
        file_report, line = self.inserted[model][pk]
        self.dropped.add((model, pk))
        self.report.errors.append(RowError(file_report.file, line, field_name, message))

    def _drop_linked(self) -> None:
        """A row that links to a refused row of the import is refused too (and so on)."""
        changed = True
        while changed:
            changed = False
            for model, pk, name, target, target_pk in self.between:
                if (target, target_pk) in self.dropped and (model, pk) not in self.dropped:
                    where, line = self.inserted[target][target_pk]
                    self._drop(model, pk, name, f"links to {where.file} line {line}, refused")
                    changed = True

    def _write(self, resolved: list[tuple[_Link, list[int]]]) -> None:
        updates: dict[tuple[Model, str], list[models.Model]] = {}
        joins: dict[Any, list[models.Model]] = {}
        for link, pks in resolved:
            if (link.model, link.pk) in self.dropped or not pks:
                continue
            f = link.column.field
            if f.many_to_many:
                through = f.remote_field.through
                source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
                joins.setdefault(through, []).extend(
                    through(**{f"{source}_id": link.pk, f"{target}_id": pk}) for pk in pks
                )
            else:
                thing = link.model(pk=link.pk)
                setattr(thing, f.attname, pks[0])
                updates.setdefault((link.model, f.name), []).append(thing)
        for (model, name), things in updates.items():
            model._base_manager.bulk_update(things, [name], batch_size=BATCH)
        for through, rows in joins.items():
            through._base_manager.bulk_create(rows, batch_size=BATCH)

    def _delete_dropped(self) -> None:
        """Remove the rows refused after they were inserted (their lists were not written).
        A plain DELETE, not ``QuerySet.delete()``: these rows were never committed, and
        must not fire "deleted" triggers."""
        by_model: dict[Model, list[int]] = {}
        for model, pk in self.dropped:
            by_model.setdefault(model, []).append(pk)
        for model, pks in by_model.items():
            for chunk in chunks(pks, LOOKUP_CHUNK):
                queryset = model._base_manager.filter(pk__in=chunk)
                queryset._raw_delete(queryset.db)

    def announce(self) -> None:
        """Fire "created" for each thing kept, as its ``save()`` would have (the triggers
        listen to ``post_save``); they run once the import commits."""
        for model, rows in self.inserted.items():
            db = model._base_manager.db
            for pk in rows:
                if (model, pk) not in self.dropped:
                    post_save.send(
                        sender=model,
                        instance=model(pk=pk),
                        created=True,
                        update_fields=None,
                        raw=False,
                        using=db,
                    )

    def count(self, plans: list[Plan]) -> None:
        for plan in plans:
            plan.report.imported = 0
        for model, rows in self.inserted.items():
            for pk, (file_report, _line) in rows.items():
                if (model, pk) not in self.dropped:
                    file_report.imported += 1
        for plan in plans:
            plan.report.refused = plan.report.rows - plan.report.imported


def _empty(f: models.Field) -> Any:
    """An empty cell: nothing, or empty text where the column cannot hold nothing."""
    if f.null or not f.empty_strings_allowed:
        return None
    return ""
