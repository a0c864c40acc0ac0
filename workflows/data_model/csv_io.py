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
the same things; ``export_rows`` gives the same rows one at a time (a streamed download).

This module is the entry point; the work is in ``csv_columns`` (which column is which
field), ``csv_values`` (a cell's text and its value, per field type), ``csv_loader`` (the
rows, then the links), ``csv_targets`` (finding what references name), ``csv_report``
(what an import says) and ``csv_export``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.db import models, transaction

from .. import accounts, data_types
from ..exceptions import WorkflowError
from .csv_columns import HeaderMap, map_headers
from .csv_export import export_csv, export_rows
from .csv_loader import Loader, Plan
from .csv_report import FileReport, ImportRefused, ImportReport, RowError

__all__ = [
    "FileReport",
    "ImportRefused",
    "ImportReport",
    "RowError",
    "Source",
    "export_csv",
    "export_rows",
    "import_csv",
    "import_files",
]

#: how bytes that are not UTF-8 are read: as stand-ins that ``_not_utf8`` finds
NOT_UTF8 = "surrogateescape"
_STAND_IN = re.compile("[\udc80-\udcff]")
#: the longest cell read (the csv module's default, 128 KiB, is short for long texts)
MAX_CELL = 16 * 1024 * 1024
Model = type[models.Model]


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
    built_in_columns: bool = True,
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
        built_in_columns=built_in_columns,
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
    built_in_columns: bool = True,
) -> ImportReport:
    """Import the files together, in one transaction: rows first, links second.

    ``mapping``: header → field name ("" skips the column), for every file that has the
    header. ``user``: ``Created By`` of rows that do not say (and nobody when None).
    ``empty_missing_links``: a reference to a thing that is nowhere is left empty (and
    counted) instead of refusing its row. ``built_in_columns``: whether the files may set
    Bubble's built-in fields (``Created By``, ``Created Date``, ``Modified Date``,
    ``unique id``); when not, a file with such a column is refused, naming it (the admin's
    upload, for a user who may not change the data model). Never raises for bad data: the
    report says."""
    report = ImportReport(dry_run=dry_run, keep_good_rows=keep_good_rows)
    job = Loader(report, keep_good_rows=keep_good_rows, user=user, empty=empty_missing_links)
    with ExitStack() as files:
        plans = [
            p
            for s in sources
            if (p := _plan(s, mapping or {}, files, report, built_in_columns)) is not None
        ]
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


def _plan(
    source: Source,
    mapping: Mapping[str, str],
    files: ExitStack,
    report: ImportReport,
    built_in_columns: bool,
) -> Plan | None:
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
    if (bad := _not_utf8(header)) is not None:
        report.problems.append(f"{name}: cannot be read as CSV (UTF-8): line 1 {bad}")
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
    if not built_in_columns:
        report.problems += [f"{name}: {p}" for p in _built_ins_refused(header, mapped)]
    return Plan(name, model, file_report, mapped.columns, _records(reader, name))


def _built_ins_refused(header: list[str], mapped: HeaderMap) -> list[str]:
    """The file's columns that set Bubble's built-in fields, when it may not."""
    given = [h for h, c in zip(header, mapped.columns, strict=True) if c and c.built_in]
    if not given:
        return []
    many = len(given) > 1
    return [
        f"the column{'s' * many} {', '.join(given)} {'are' if many else 'is'} Bubble's built-in "
        f"field{'s' * many}, which only a superuser or a user who may change the data model "
        f"(workflows.change_data_model) may set from a file; leave {'them' if many else 'it'} "
        f"out with --map '{given[0]}='{' (one for each column)' if many else ''}"
    ]


def _check_mapping_used(mapping: Mapping[str, str], plans: list[Plan], report: ImportReport):
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
        opened = open(file, encoding="utf-8-sig", errors=NOT_UTF8, newline="")  # noqa: SIM115
        return files.enter_context(opened)
    if isinstance(file, File):  # an upload
        file.seek(0)
        file = file.file
    if isinstance(file, io.TextIOBase):
        return file
    wrapper = io.TextIOWrapper(file, encoding="utf-8-sig", errors=NOT_UTF8, newline="")
    files.callback(wrapper.detach)
    return wrapper


def _not_utf8(cells: list[str]) -> str | None:
    """What in a row's cells was not UTF-8 (None: nothing). Bytes that are not are read as
    stand-ins (``surrogateescape``) and found row by row: a decoder reading the file ahead in
    chunks would blame the line where its chunk began."""
    found = _STAND_IN.search("\x00".join(cells))
    if found is None:
        return None
    byte = ord(found.group()) - 0xDC00
    return f"holds the byte 0x{byte:02x}, which UTF-8 does not allow there (save the file as UTF-8)"


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
        if (bad := _not_utf8(cells)) is not None:
            raise ImportRefused(f"{name} line {start}: not UTF-8: it {bad}")
        if any(cell.strip() for cell in cells):
            yield start, cells
