"""Copying one Bubble type's rows: pages read ahead in threads (``pages_in_flight``, paced
by the app's ``Pacer``), written here in order, one transaction per page.

Each page's rows are written in bulk, keyed by their Bubble id (an insert, or an update of
the row an earlier run wrote), with Bubble's ``Created Date`` and ``Modified Date``; their
links wait in ``PendingLinks``; and the type's next cursor moves in the same transaction.
So an import killed at any moment continues at the first page not written, and a page
written twice leaves one row per Bubble id. Writing in bulk calls no ``save()``: no
"when data changes" trigger fires for rows brought over, as none would on Bubble.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.bubble_fields import UNIQUE_ID
from workflows.engine.param_types import parse_date

from . import lease
from .links import link_now
from .models import BubbleImport, ImportedType, PendingLinks
from .problems import Problems
from .source import PAGE_SIZE, BubbleApp, Page, SourceError
from .targets import CREATED_BY, Target
from .users import write_accounts
from .values import NotKept, link_ids


def copy_rows(
    app: BubbleApp,
    bubble_import: BubbleImport,
    target: Target,
    problems: Problems,
    *,
    pages_in_flight: int = 4,
    constraints: list[dict[str, Any]] | None = None,
    on_page: Callable[[ImportedType], None] = lambda progress: None,
) -> None:
    """Copy the type's rows from where its progress stands to the last page."""
    progress = target.progress
    if progress.copied_all:
        return
    if progress.started_at is None:
        progress.started_at = timezone.now()
        progress.save(update_fields=["started_at"])
    name = target.typed.bubble_name
    for page in pages(app, name, progress.next_cursor, pages_in_flight, constraints):
        with transaction.atomic():
            written, refused = _write_page(bubble_import, target, page, problems)
            progress.next_cursor = page.cursor + len(page.results)
            progress.copied += written
            progress.refused += refused
            progress.bubble_count = page.total
            if page.remaining == 0:
                progress.copied_all = True
                progress.finished_at = timezone.now()
            progress.save()
            problems.save(bubble_import)
            lease.beat(bubble_import)
        on_page(progress)
    if not progress.copied_all:  # no page at all: the type is empty
        progress.copied_all, progress.finished_at = True, timezone.now()
        progress.bubble_count = progress.bubble_count or 0
        progress.save()


def pages(
    app: BubbleApp,
    name: str,
    start: int,
    in_flight: int,
    constraints: list[dict[str, Any]] | None,
) -> Iterator[Page]:
    """The pages from cursor ``start`` in order, up to ``in_flight`` read ahead. The first
    page says how many rows there are; a page shorter than asked before the end (rows
    deleted meanwhile) makes the reading start again right after it."""

    def read(cursor: int) -> Page:
        page = app.page(name, cursor, PAGE_SIZE, constraints)
        if not page.results and page.remaining > 0:  # it would be asked again for ever
            raise SourceError(f"{name}: no rows at cursor {cursor} though {page.remaining} remain")
        return page

    first = read(start)
    yield first
    if first.remaining == 0:
        return
    total, cursor = first.total, first.cursor + len(first.results)
    ahead: deque[tuple[int, Future[Page]]] = deque()
    with ThreadPoolExecutor(max_workers=max(in_flight, 1)) as pool:
        try:
            while True:
                while len(ahead) < max(in_flight, 1) and cursor < total:
                    ahead.append((cursor, pool.submit(read, cursor)))
                    cursor += PAGE_SIZE
                if not ahead:
                    return
                asked, future = ahead.popleft()
                page = future.result()
                yield page
                if page.remaining == 0:
                    return
                end = asked + len(page.results)
                if len(page.results) < PAGE_SIZE or page.total > total:
                    for _, waiting in ahead:
                        waiting.cancel()
                    ahead.clear()
                    total, cursor = page.total, end
        finally:
            for _, waiting in ahead:
                waiting.cancel()


def _write_page(
    bubble_import: BubbleImport, target: Target, page: Page, problems: Problems
) -> tuple[int, int]:
    """The page's rows written (their links pending); the rows written and refused."""
    name = target.typed.bubble_name
    rows: list[tuple[str, dict[str, Any], datetime.datetime, datetime.datetime]] = []
    refused = 0
    for row in page.results:
        unique_id = row.get("_id")
        if not isinstance(unique_id, str) or not UNIQUE_ID.fullmatch(unique_id):
            problems.refused_row(name, str(unique_id)[:80], "no _id in Bubble's form")
            refused += 1
            continue
        created = _moment(row.get("Created Date")) or timezone.now()
        modified = _moment(row.get("Modified Date")) or created
        rows.append((unique_id, row, created, modified))
    accounts: dict[str, Any] = {}
    if target.typed.users:
        accounts = write_accounts([(u, r, c) for u, r, c, _ in rows], problems.users.add)
    if target.model is not None:
        _write_things(bubble_import, target, rows, problems)
    return (len(accounts) if target.model is None else len(rows)), refused


def _write_things(
    bubble_import: BubbleImport,
    target: Target,
    rows: list[tuple[str, dict[str, Any], datetime.datetime, datetime.datetime]],
    problems: Problems,
) -> None:
    """The rows written by their Bubble id. Links to rows already here are written with
    them; the others (a type that comes later, a row that no longer exists) wait in
    ``PendingLinks`` until every type has arrived."""
    assert target.model is not None
    name = target.typed.bubble_name
    things, links = [], []
    for unique_id, row, created, modified in rows:
        values: dict[str, Any] = {}
        for key, field_name, read in target.readers:
            value = row.get(key)
            if value is None:
                values[field_name] = None
                continue
            try:
                values[field_name] = read(value)
            except NotKept as exc:
                values[field_name] = None
                problems.value_not_kept(name, unique_id, key, str(exc))
        found = {}
        for key, field_name, many in [*target.links, ("Created By", CREATED_BY, False)]:
            try:
                found[field_name] = link_ids(row.get(key), many=many)
            except NotKept as exc:
                found[field_name] = [] if many else None
                problems.value_not_kept(name, unique_id, key, str(exc))
        if target.profile_link:
            found[target.profile_link] = unique_id  # the profile's account: the same id
        links.append(found)
        things.append(
            target.model(
                unique_id=unique_id, created_date=created, modified_date=modified, **values
            )
        )
    if not things:
        return
    now = link_now(target, things, links)
    target.model._default_manager.bulk_create(
        things,
        update_conflicts=True,
        unique_fields=["unique_id"],
        update_fields=[
            "created_date",
            "modified_date",
            *(f for _, f, _ in target.readers),
            *now.references,
        ],
    )
    now.write_lists(target.model)
    pending = [
        PendingLinks(
            bubble_import=bubble_import, bubble_name=name, unique_id=thing.unique_id, links=left
        )
        for thing, left in zip(things, now.later, strict=True)
        if left
    ]
    PendingLinks.objects.bulk_create(
        pending,
        update_conflicts=True,
        unique_fields=["bubble_import", "bubble_name", "unique_id"],
        update_fields=["links"],
    )


def _moment(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except (ValueError, TypeError, OverflowError):
        return None
