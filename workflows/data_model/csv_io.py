"""Things in and out as CSV, as Bubble's Data tab uploads and exports them
(docs/data-types.md#bringing-rows-csv).

``import_files`` reads one or more files, each into a data type, in one transaction:

1. **Rows first.** Each file is read as a stream, a batch of rows at a time: every cell is
   read by its column's codec (``csv_values``), the row is checked as a save would check it
   (``full_clean``: required fields, lengths, validators; values a database cannot store),
   unique fields are checked for the whole batch in one query per field (and against the
   rows before it in the import), the things its references name are looked up for the
   whole batch at once, and the good rows are inserted with ``bulk_create``. ``bulk_create``
   calls no ``save()``, so Bubble's built-in fields are set here: a file's ``unique id``,
   ``Created Date`` and ``Created By`` are kept, ``Modified Date`` is the file's or the
   created date, and a row without them gets a new unique id, now, and the importing user.
2. **Links second.** A reference to a row of the import that was not inserted yet (a
   later row, a later file) and every list of things or options are written once every row
   exists, so files that point at each other by Bubble's unique ids import together.

Every bad row is reported with its line and field (``leads.csv line 17, score: 'abc' is
not a number``). By default nothing is imported when any row is bad; ``keep_good_rows``
imports the others (and refuses, too, a row that links to a refused one). ``dry_run`` does
everything and rolls it back.

An import fires no database trigger (no ``save()``), unless ``fire_triggers``: then each
thing it made fires "created" once the import commits, as if it had been saved.

``export_csv`` writes a type's things with a header row in Bubble's style (fields by name,
then ``Created Date``, ``Modified Date``, ``Created By``, ``unique id``), references as
unique ids and lists comma-separated, so that an export imports back into an empty type as
the same things.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Lower
from django.db.models.signals import post_save

from .. import accounts, data_types
from ..bubble_fields import UNIQUE_ID
from ..exceptions import WorkflowError
from ..models.data_model import Option, OptionSet
from .csv_columns import Column, HeaderMap, columns_of, map_headers
from .csv_values import CellError, read_list, reference_form, write_list

#: rows read, checked, looked up and inserted together
BATCH = 1000
#: the longest cell read (the csv module's default, 128 KiB, is short for long texts)
MAX_CELL = 16 * 1024 * 1024
#: values per ``IN (...)`` of a look-up (SQLite's limit on parameters is the smallest)
LOOKUP_CHUNK = 500
Model = type[models.Model]


class ImportRefused(WorkflowError):
    """The import cannot start (an unknown data type, a file that is not CSV)."""

    code = "INVALID_DATA"
    http_status = 400


# --- what an import says --------------------------------------------------------------------


@dataclass
class Source:
    """One file to import into one data type (``Lead``, ``examples.Review``, a model)."""

    data_type: Any
    file: str | os.PathLike | IO[Any]
    #: the file's name in messages (default: the path's name, or ``file``)
    name: str = ""

    def label(self) -> str:
        if self.name:
            return self.name
        if isinstance(self.file, str | os.PathLike):
            return Path(self.file).name
        return str(getattr(self.file, "name", "") or "file")


@dataclass(frozen=True)
class RowError:
    """A row that was refused: where, which field ("" for the row as a whole), why."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class FileReport:
    """One file: which column went to which field, and how its rows fared."""

    file: str
    data_type: str
    #: header → field name, for the headers that were imported
    columns: dict[str, str] = field(default_factory=dict)
    #: headers that name no field (not imported)
    unknown: list[str] = field(default_factory=list)
    #: headers of fields a file cannot set, with why (not imported)
    skipped: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    refused: int = 0
    #: references to things that were not found, left empty (``empty_missing_links``)
    emptied_links: int = 0


@dataclass
class ImportReport:
    """What an import did. ``imported`` rows were written if ``committed`` (a dry run, or a
    refused import, counts what would have been)."""

    files: list[FileReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: why the import was refused as a whole, before any row (nothing was imported)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    keep_good_rows: bool = False
    committed: bool = False

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def refused(self) -> int:
        return sum(f.refused for f in self.files)

    @property
    def ok(self) -> bool:
        """Every row was imported (or, in a dry run, would be)."""
        return not self.problems and not self.errors

    def summary(self) -> str:
        if self.problems:
            return "Nothing was imported: " + "; ".join(self.problems)
        rows = _count(self.imported, "row")
        refused = f"; {_count(self.refused, 'row')} refused" if self.refused else ""
        emptied = sum(f.emptied_links for f in self.files)
        links = f"; {_count(emptied, 'link')} to missing things left empty" if emptied else ""
        if self.dry_run:
            return f"Dry run: {rows} would be imported{refused}{links}; nothing was written."
        if not self.committed:
            return (
                f"{_count(self.refused, 'row')} refused; nothing was imported "
                "(--keep-good-rows imports the good rows)."
            )
        return f"Imported {rows}{refused}{links}."


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"


# --- importing -----------------------------------------------------------------------------


def import_csv(
    data_type: Any,
    file: str | os.PathLike | IO[Any],
    *,
    keep_good_rows: bool = False,
    user: Any = None,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    fire_triggers: bool = False,
    empty_missing_links: bool = False,
    name: str = "",
) -> ImportReport:
    """Import one CSV file (a path, a text or binary file, an upload) into ``data_type``
    (see ``import_files``)."""
    return import_files(
        [Source(data_type, file, name)],
        keep_good_rows=keep_good_rows,
        user=user,
        dry_run=dry_run,
        mapping=mapping,
        fire_triggers=fire_triggers,
        empty_missing_links=empty_missing_links,
    )


def import_files(
    sources: Iterable[Source],
    *,
    keep_good_rows: bool = False,
    user: Any = None,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    fire_triggers: bool = False,
    empty_missing_links: bool = False,
) -> ImportReport:
    """Import the files together, in one transaction: rows first, links second.

    ``mapping``: header → field name ("" skips the column), for every file that has the
    header. ``user``: ``Created By`` of rows that do not say (and nobody when None).
    ``empty_missing_links``: a reference to a thing that is nowhere is left empty (and
    counted) instead of refusing its row. Never raises for bad data: the report says."""
    report = ImportReport(dry_run=dry_run, keep_good_rows=keep_good_rows)
    job = _Import(report, keep_good_rows=keep_good_rows, user=user, empty=empty_missing_links)
    with ExitStack() as files:
        plans = [p for s in sources if (p := _plan(s, mapping or {}, files, report)) is not None]
        _check_mapping_used(mapping or {}, plans, report)
        if report.problems:
            return report
        try:
            with transaction.atomic():
                for plan in plans:
                    job.read(plan)
                job.link()
                if fire_triggers:
                    job.announce()
                commit = not dry_run and (keep_good_rows or not report.errors)
                job.count(plans)
                _sort(report)
                if not commit:
                    raise _Rollback
        except _Rollback:
            report.committed = False
        except ImportRefused as exc:
            report.problems.append(exc.message)
            report.committed = False
        else:
            report.committed = True
    return report


def _sort(report: ImportReport) -> None:
    """The errors file by file, line by line (checks find them in batches)."""
    order = {f.file: index for index, f in enumerate(report.files)}
    report.errors.sort(key=lambda e: (order.get(e.file, len(order)), e.line))


class _Rollback(Exception):
    """Undo the import's transaction (a dry run, or bad rows without keep_good_rows)."""


@dataclass
class _Plan:
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


def _plan(
    source: Source, mapping: Mapping[str, str], files: ExitStack, report: ImportReport
) -> _Plan | None:
    name = source.label()
    if csv.field_size_limit() < MAX_CELL:
        csv.field_size_limit(MAX_CELL)
    try:
        model = _model(source.data_type)
        reader = csv.reader(_text(source.file, files))
        header = next(reader, None)
    except WorkflowError as exc:
        report.problems.append(f"{name}: {exc.message}")
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        report.problems.append(f"{name}: cannot be read as CSV (UTF-8): {exc}")
        return None
    if not header or not any(h.strip() for h in header):
        report.problems.append(f"{name}: empty: the first line must name the columns")
        return None
    header[0] = header[0].removeprefix("\ufeff")
    mapped: HeaderMap = map_headers(model, header, mapping)
    label = data_types.label_of(model)
    file_report = FileReport(
        file=name, data_type=label, unknown=mapped.unknown, skipped=mapped.skipped
    )
    file_report.columns = {h: c.name for h, c in zip(header, mapped.columns, strict=True) if c}
    report.files.append(file_report)
    report.problems += [f"{name}: {problem}" for problem in mapped.problems]
    return _Plan(name, model, file_report, mapped.columns, _records(reader, name))


def _check_mapping_used(mapping: Mapping[str, str], plans: list[_Plan], report: ImportReport):
    headers = {h.strip().lower() for p in plans for h in p.report.columns}
    headers |= {h.strip().lower() for p in plans for h in p.report.unknown}
    for header, target in mapping.items():
        if target and header.strip().lower() not in headers:
            report.problems.append(f"--map {header}={target}: no file has a column {header!r}")


def _model(data_type: Any) -> Model:
    model = data_type if isinstance(data_type, type) else data_types.get_model(str(data_type))
    if not data_types.is_data_type(model):
        raise ImportRefused(f"{model._meta.label} is not a data type")
    if accounts.is_user_model(model):
        raise ImportRefused(
            "users are not imported from CSV: an account needs a password, permissions and "
            "a unique email checked as sign-up checks them (create them with a workflow)"
        )
    return model


def _text(file: str | os.PathLike | IO[Any], files: ExitStack) -> IO[str]:
    """``file`` as text (UTF-8, a byte order mark ignored), closed with ``files`` if opened
    here; a caller's file is left open."""
    if isinstance(file, str | os.PathLike):
        return files.enter_context(open(file, encoding="utf-8-sig", newline=""))  # noqa: SIM115
    if isinstance(file, File):  # an upload
        file.seek(0)
        file = file.file
    if isinstance(file, io.TextIOBase):
        return file
    wrapper = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    files.callback(wrapper.detach)
    return wrapper


def _records(reader: Any, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, its cells) for each row that is not blank."""
    last = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportRefused(f"{name} line {last + 1}: not CSV: {exc}") from None
        start, last = last + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


# --- the import itself ----------------------------------------------------------------------


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


class _Import:
    def __init__(self, report: ImportReport, *, keep_good_rows: bool, user: Any, empty: bool):
        self.report = report
        self.keep_good_rows = keep_good_rows
        self.user = user
        self.empty = empty
        self.targets: dict[tuple[Model, int | None], _Targets] = {}
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

    def read(self, plan: _Plan) -> None:
        """Read, check and insert the file's rows, a batch at a time."""
        if plan.model not in self.was_empty:
            self.was_empty[plan.model] = not plan.model._base_manager.exists()
        while batch := list(itertools.islice(plan.records, BATCH)):
            plan.report.rows += len(batch)
            rows = [row for line, cells in batch if (row := self._row(plan, line, cells))]
            rows = self._unique(plan, rows)
            rows = self._resolve(plan, rows)
            self._insert(plan, rows)

    def _refuse(self, plan: _Plan, line: int, field: str, message: str) -> None:
        self.report.errors.append(RowError(plan.source, line, field, message))

    def _row(self, plan: _Plan, line: int, cells: list[str]) -> _Row | None:
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

    def _check_tokens(self, plan: _Plan, line: int, column: Column, tokens: list[str]) -> bool:
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

    def _built_ins(self, plan: _Plan, thing: models.Model, values: Mapping[str, Any]) -> None:
        """Bubble's built-in fields, which ``save()`` would set and ``bulk_create`` does not:
        the modified date is the created date unless the file says, the creator the
        importing user unless the file has a ``Created By`` column."""
        if plan.dated and "modified_date" not in values:
            thing.modified_date = thing.created_date
        if plan.fill_creator and self.user is not None:
            thing.created_by_id = self.user.pk

    def _check(
        self,
        plan: _Plan,
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

    def _forget_refused(self, plan: _Plan, thing: models.Model, line: int) -> None:
        unique_id = getattr(thing, "unique_id", None)
        if unique_id and any(c is not None and c.name == "unique_id" for c in plan.columns):
            self.refused_ids.setdefault(plan.model, {})[unique_id] = f"{plan.source} line {line}"

    def _unique(self, plan: _Plan, rows: list[_Row]) -> list[_Row]:
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
            for chunk in _chunks(list(fresh), LOOKUP_CHUNK):
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

    def _resolve(self, plan: _Plan, rows: list[_Row]) -> list[_Row]:
        """Set each reference whose thing is known now (in the database, or inserted earlier
        in the import): one look-up per target for the batch. The others wait for
        ``link``; a reference that cannot wait (a column that may not be empty) is refused."""
        wanted: dict[_Targets, set[str]] = {}
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

    def _insert(self, plan: _Plan, rows: list[_Row]) -> None:
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

    def _targets(self, column: Column) -> _Targets:
        key = (column.target, column.option_set_id)
        if key not in self.targets:
            imported = self.imported.setdefault(column.target, {})
            self.targets[key] = _Targets(column.target, column.option_set_id, imported)
        return self.targets[key]

    def _between(self, model: Model, pk: int, column: Column, target_pk: int) -> None:
        if target_pk in self.inserted.get(column.target, {}):
            self.between.append((model, pk, column.name, column.target, target_pk))

    def _missing(self, targets: _Targets, token: str) -> str:
        refused = self.refused_ids.get(targets.model, {}).get(token)
        if refused:
            return f"{token!r} is {refused}, which was refused"
        return targets.missing(token)

    def link(self) -> None:
        """Write the references that waited and every list, once all rows exist; a reference
        that names nothing refuses its row (or is left empty, ``empty_missing_links``)."""
        wanted: dict[_Targets, set[str]] = {}
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
            for chunk in _chunks(pks, LOOKUP_CHUNK):
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

    def count(self, plans: list[_Plan]) -> None:
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


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Targets:
    """The things (or options) one kind of reference may name, found by what a file writes:
    a unique id, a numeric id, an option's display, a user's email or username. Looked up
    in bulk and remembered; rows this import inserted are found by their unique ids."""

    def __init__(self, model: Model, option_set_id: int | None, imported: dict[str, int]):
        self.model = model
        self.imported = imported
        self.known: dict[str, int] = {}
        self.looked_up: set[str] = set()
        self.option_set = None
        if model is Option:
            self.option_set = OptionSet.objects.get(pk=option_set_id)
            for pk, display in Option.objects.filter(option_set_id=option_set_id).values_list(
                "pk", "display"
            ):
                self.known[display.lower()] = pk
                self.known.setdefault(str(pk), pk)
        self.is_user = accounts.is_user_model(model)

    def _key(self, token: str) -> str:
        if self.option_set is not None:
            return token.lower()
        form = reference_form(token)
        if form == "id":
            return str(int(token))
        return token.lower() if form == "text" else token

    def get(self, token: str) -> int | None:
        if token in self.imported:
            return self.imported[token]
        return self.known.get(self._key(token))

    def look_up(self, tokens: Iterable[str]) -> None:
        """Find in the database, at once, the tokens not known yet."""
        if self.option_set is not None:
            return
        unknown = {self._key(t) for t in tokens} - self.looked_up - set(self.known)
        unknown -= set(self.imported)
        if not unknown:
            return
        self.looked_up |= unknown
        by_form: dict[str, list[str]] = {}
        for token in unknown:
            by_form.setdefault(reference_form(token), []).append(token)
        manager = self.model._base_manager
        for chunk in _chunks(by_form.get("unique_id", []), LOOKUP_CHUNK):
            rows = manager.filter(unique_id__in=chunk).values_list("unique_id", "pk")
            self.known.update(rows)
        for chunk in _chunks(by_form.get("id", []), LOOKUP_CHUNK):
            ids = [int(t) for t in chunk]
            self.known.update(
                (str(pk), pk) for pk in manager.filter(pk__in=ids).values_list("pk", flat=True)
            )
        if self.is_user:
            self._look_up_users(by_form.get("text", []))

    def _look_up_users(self, tokens: list[str]) -> None:
        user_model = get_user_model()
        email, username = user_model.get_email_field_name(), user_model.USERNAME_FIELD
        for chunk in _chunks(tokens, LOOKUP_CHUNK):
            for name in (username, email):
                rows = (
                    user_model._base_manager.annotate(_key=Lower(name))
                    .filter(_key__in=chunk)
                    .values_list("_key", "pk")
                )
                for key, pk in rows:
                    self.known.setdefault(key, pk)

    def missing(self, token: str) -> str:
        if self.option_set is not None:
            return f"{token!r} is not an option of {self.option_set.name}"
        label = data_types.label_of(self.model)
        form = reference_form(token)
        if form == "unique_id":
            return f"no {label} has the unique id {token!r}"
        if form == "id":
            return f"no {label} has the id {token}"
        return f"no user has the email or username {token!r}"


# --- exporting -------------------------------------------------------------------------------


def export_csv(data_type: Any, out: IO[str], *, chunk_size: int = 2000) -> int:
    """Write every thing of ``data_type`` to ``out`` as CSV (header row first, things in
    the order they were made); the number of things written."""
    model = data_type if isinstance(data_type, type) else data_types.get_model(str(data_type))
    columns = columns_of(model)
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    plain = [c for c in columns if not c.field.many_to_many]
    lists = [c for c in columns if c.field.many_to_many]
    paths = [path for c in plain for path in _export_paths(c)]
    rows = model._base_manager.order_by("pk").values_list("pk", *paths)
    written = 0
    for chunk in _batches(rows.iterator(chunk_size=chunk_size), chunk_size):
        items = {c.name: _list_items(c, [row[0] for row in chunk]) for c in lists}
        for row in chunk:
            values = iter(row[1:])
            cells = {}
            for column in plain:
                parts = [next(values) for _ in _export_paths(column)]
                cells[column.name] = _export_value(column, parts)
            for column in lists:
                cells[column.name] = write_list(column.codec, items[column.name].get(row[0], []))
            writer.writerow([cells[c.name] for c in columns])
            written += 1
    return written


def _export_paths(column: Column) -> list[str]:
    """What to read for a column: a reference as what a file would name it by."""
    f = column.field
    if not column.reference:
        return [f.attname]
    return [f"{f.name}__{name}" for name in _reference_fields(column.target)]


def _reference_fields(target: Model) -> list[str]:
    """A thing by its unique id; an option by its display; a user by email (or id when it
    has none); anything else by its numeric id."""
    if target is Option:
        return ["display"]
    names = {f.name for f in target._meta.concrete_fields}
    if "unique_id" in names:
        return ["unique_id"]
    if accounts.is_user_model(target):
        return [target.get_email_field_name(), "pk"]
    return ["pk"]


def _export_value(column: Column, parts: list[Any]) -> str:
    if column.reference:
        value = next((p for p in parts if p not in (None, "")), None)
        return "" if value is None else str(value)
    value = parts[0]
    if column.is_list:
        return write_list(column.codec, value or [])
    return "" if value is None else column.codec.write(value)


def _list_items(column: Column, pks: list[int]) -> dict[int, list[Any]]:
    """The items of one list column for these things, in the order they were added."""
    f = column.field
    through = f.remote_field.through
    source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
    paths = [f"{target}__{name}" for name in _reference_fields(column.target)]
    items: dict[int, list[Any]] = {}
    rows = (
        through._base_manager.filter(**{f"{source}_id__in": pks})
        .order_by("pk")
        .values_list(f"{source}_id", *paths)
    )
    for pk, *parts in rows:
        value = next((p for p in parts if p not in (None, "")), None)
        if value is not None:
            items.setdefault(pk, []).append(str(value))
    return items


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
