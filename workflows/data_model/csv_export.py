"""A data type's things as CSV (workflows.data_model.csv_io.export_csv): a header row in
Bubble's style, references as unique ids (a user by email, a code type without unique ids
by its numeric id), options by display, lists comma-separated; what ``import_csv`` reads
back as the same things. A text cell that would open as a formula in a spreadsheet gets
OWASP's ``'`` before it (``csv_values.shield``); the import takes it off again."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db import models

from .. import accounts, data_types
from ..models.data_model import Option
from .csv_columns import Column, columns_of
from .csv_values import shield, write_list

Model = type[models.Model]


def export_csv(data_type: Any, out: IO[str], *, chunk_size: int = 2000) -> int:
    """Write every thing of ``data_type`` to ``out`` as CSV (header row first, things in
    the order they were made); the number of things written."""
    writer = csv.writer(out)
    rows = export_rows(data_type, chunk_size=chunk_size)
    writer.writerow(next(rows))
    written = 0
    for row in rows:
        writer.writerow(row)
        written += 1
    return written


def export_rows(
    data_type: Any, *, things: models.QuerySet | None = None, chunk_size: int = 2000
) -> Iterator[list[str]]:
    """The header row, then each thing's cells (``export_csv``'s rows), read a chunk at a
    time: what a streamed download writes as it goes. ``things``: only these (by default
    every thing of the type), in the order they were made."""
    model = data_type if isinstance(data_type, type) else data_types.get_model(str(data_type))
    columns = columns_of(model)
    yield [c.header for c in columns]
    plain = [c for c in columns if not c.field.many_to_many]
    lists = [c for c in columns if c.field.many_to_many]
    paths = [path for c in plain for path in _export_paths(c)]
    chosen = model._base_manager.all() if things is None else things
    rows = chosen.order_by("pk").values_list("pk", *paths)
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
            yield [shield(cells[c.name]) if c.codec.text_cells else cells[c.name] for c in columns]


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
