"""The Runs list's search: runs whose text contains what was typed, at 1,000,000 runs.

A run's text is its workflow's name, error code and message, parameters and result (as
the log stores them: JSON), its first ``LIMIT`` characters. PostgreSQL indexes finished runs
as they end with a pg_trgm GIN index on that expression
(workflows/migrations/0017_run_search_indexes.py); SQLite with an FTS5 trigram table in a
database file of its own, kept by the scheduler from a queue the run table's triggers fill
(workflows/run_text_index.py): the search reads the few runs still queued directly. Both
find any part of a word (three characters or more), ignoring the case of ASCII letters.

Neither database can be trusted to plan "contains X, and the list's filters, newest
first" well when X is common in runs of one kind and rare in another: reading newest
first and checking each run's text is instant when X is common and a scan of the table
when it is rare; the index is the reverse. So the search is done in two bounded steps:

1. **Recent runs**: among the ``WINDOW`` most recent runs the list's filters select (read
   from their index), the ones containing X, newest first. When that fills the page asked
   for (and shows there is more), or the filters select no more than ``WINDOW`` runs, it
   is the exact answer.
2. **The index**: otherwise X is rare among recent runs. The index gives the runs
   containing X, up to ``INDEX_CAP``; if there are fewer, they are all of them and the
   list's filters pick from them (exact). If there are more, X is common overall but not
   in the recent runs the filters select: the page shows what step 1 found and says that
   only the ``WINDOW`` most recent runs were searched (``Outcome.complete`` is false); a
   time window or another filter then moves the search back in time.

Each step is bounded, so a search never reads the whole table. The text is stored as JSON
writes it (``"café"`` as ``"caf\\u00e9"``, quotes as ``\\"``): the term is looked for as
typed and as JSON writes it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections, router
from django.db.models import QuerySet

from .. import run_text_index
from ..models import Run

#: how much of a run's text is searched (the index holds no more)
LIMIT = run_text_index.LIMIT
#: a run's searchable text, per database; ``{p}`` is the table's qualifier. The migration
#: that indexes it holds the same expression (a migration cannot import this module).
BODY = {
    "postgresql": (
        "left({p}workflow_name || ' ' || {p}error_code || ' ' || {p}error_message || ' ' || "
        "{p}params::text || ' ' || coalesce({p}result::text, ''), " + str(LIMIT) + ")"
    ),
    "sqlite": run_text_index.BODY,
}
PG_INDEX = "workflows_run_text_trgm"
#: SQLite: ended runs not in the index yet
QUEUE = run_text_index.QUEUE
TABLE = Run._meta.db_table

#: shortest searchable text: trigram indexes cannot narrow down fewer characters
MIN_LENGTH = 3
#: step 1 reads this many of the most recent runs the filters select
WINDOW = 10_000
#: step 2 reads at most this many runs from the index
INDEX_CAP = 5_000


class SearchTooShort(ValueError):
    """The text searched for is shorter than ``MIN_LENGTH``."""


@dataclass(frozen=True)
class Outcome:
    """What a search selects, and whether it is every match (see the module)."""

    queryset: QuerySet
    complete: bool = True


def variants(term: str) -> list[str]:
    """``term`` as typed, and as JSON stores it when that differs (non-ASCII, quotes)."""
    term = term.strip()
    if len(term) < MIN_LENGTH:
        raise SearchTooShort(f"type at least {MIN_LENGTH} characters to search the runs' text")
    encoded = json.dumps(term)[1:-1]
    return [term] if encoded == term else [term, encoded]


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _vendor() -> str:
    return connections[router.db_for_read(Run)].vendor


def _body(vendor: str, qualifier: str = "") -> str:
    return BODY.get(vendor, BODY["sqlite"]).format(p=qualifier)


def _contains_sql(vendor: str, count: int, qualifier: str) -> str:
    """A condition true when the run's text contains any of ``count`` patterns, which no
    index answers (step 1 reads the runs themselves)."""
    body = _body(vendor, qualifier)
    if vendor == "postgresql":
        one = f"strpos(lower({body}), lower(%s)) > 0"
    else:
        one = f"{body} LIKE %s ESCAPE '\\'"
    return "(" + " OR ".join([one] * count) + ")"


def _contains_params(vendor: str, texts: list[str]) -> list[str]:
    return texts if vendor == "postgresql" else [like_pattern(t) for t in texts]


def search(queryset: QuerySet, term: str, needed: int) -> Outcome:
    """The runs of ``queryset`` whose text contains ``term`` (see the module), enough to
    show ``needed`` of them newest first. Raises ``SearchTooShort``."""
    texts = variants(term)
    vendor = _vendor()
    qualifier = f'"{TABLE}".'
    recent = queryset.order_by("-started_at")
    bound = list(recent.values_list("started_at", flat=True)[WINDOW - 1 : WINDOW])
    window = recent.filter(started_at__gte=bound[0]) if bound else recent
    found = list(
        window.extra(  # noqa: S610 - fixed SQL; the texts are parameters
            where=[_contains_sql(vendor, len(texts), qualifier)],
            params=_contains_params(vendor, texts),
        )
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)[:needed]
    )
    if len(found) >= needed or not bound:
        return Outcome(queryset.filter(pk__in=found))
    indexed = indexed_ids(texts, vendor)
    if indexed.complete:
        return Outcome(queryset.filter(pk__in=indexed.ids))
    return Outcome(queryset.filter(pk__in=found), complete=False)


@dataclass(frozen=True)
class Matches:
    """Finished runs containing the text, from the index; ``complete``: all of them (the
    index gave fewer than ``INDEX_CAP``)."""

    ids: list[uuid.UUID]
    complete: bool


def indexed_ids(texts: list[str], vendor: str | None = None) -> Matches:
    """Finished runs whose text contains one of ``texts``, at most ``INDEX_CAP``, from the
    index (the table itself where there is none), checked against the runs' text: the
    index can narrow down, never add."""
    vendor = vendor or _vendor()
    connection = connections[router.db_for_read(Run)]
    patterns = [like_pattern(t) for t in texts]
    if vendor == "postgresql":
        body = _body(vendor)
        matches = " OR ".join([f"{body} ILIKE %s"] * len(patterns))
        sql = f"SELECT id FROM {TABLE} WHERE finished_at IS NOT NULL AND ({matches}) LIMIT %s"  # noqa: S608 - fixed SQL, values as parameters
        params: list[object] = [*patterns, INDEX_CAP]
        capped = None
    elif vendor == "sqlite" and has_index():
        # the index file's matches and the few ended runs still queued for it, each read
        # by rowid (CROSS JOIN: the list first, SQLite would rather scan the runs)
        rowids = run_text_index.matching_rowids(texts, INDEX_CAP)
        capped = len(rowids) >= INDEX_CAP
        body = _body(vendor, "r.")
        matches = " OR ".join([f"{body} LIKE %s ESCAPE '\\'"] * len(patterns))
        sql = (
            "SELECT r.id FROM json_each(%s) j CROSS JOIN "  # noqa: S608 - fixed SQL, values as parameters
            f"{TABLE} r ON r.rowid = j.value WHERE r.finished_at IS NOT NULL AND ({matches}) "
            f"UNION SELECT r.id FROM {QUEUE} q CROSS JOIN {TABLE} r ON r.rowid = q.run "
            f"WHERE r.finished_at IS NOT NULL AND ({matches}) LIMIT %s"
        )
        params = [json.dumps(rowids), *patterns, *patterns, INDEX_CAP]
    else:
        body = _body(vendor)
        matches = " OR ".join([f"{body} LIKE %s ESCAPE '\\'"] * len(patterns))
        sql = f"SELECT id FROM {TABLE} WHERE finished_at IS NOT NULL AND ({matches}) LIMIT %s"  # noqa: S608 - fixed SQL, values as parameters
        params = [*patterns, INDEX_CAP]
        capped = None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ids = [row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(row[0]) for row in rows]
    return Matches(ids, complete=len(ids) < INDEX_CAP and not capped)


def _pg_index_valid(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s",
            [PG_INDEX],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


#: whether each PostgreSQL database has the index, and when that was looked up (monotonic s)
_known: dict[str, tuple[float, bool]] = {}
#: how long a process trusts what it found (an index made later is used after this)
INDEX_STATE_TTL = 300.0


def has_index() -> bool:
    """Whether the database's runs are indexed: PostgreSQL's index (looked up at most every
    few minutes), SQLite's index file built (asked each time: one small read)."""
    alias = router.db_for_read(Run)
    vendor = connections[alias].vendor
    try:
        if vendor == "sqlite":
            return run_text_index.ready()
        if vendor != "postgresql":
            return False
        now = time.monotonic()
        known = _known.get(alias)
        if known is not None and now - known[0] < INDEX_STATE_TTL:
            return known[1]
        state = _pg_index_valid(alias)
    except (DatabaseError, sqlite3.Error):
        return False
    _known[alias] = (now, state)
    return state


def forget_index_state() -> None:
    _known.clear()


NO_INDEX_HINT = {
    "postgresql": (
        "As a superuser: CREATE EXTENSION pg_trgm; then python manage.py migrate workflows "
        "0014 && python manage.py migrate (docs/operations.md#the-runs-log)."
    ),
    "sqlite": (
        "Run on a Python whose sqlite3 module has SQLite 3.34 or later (FTS5 with the "
        "trigram tokenizer); the scheduler then builds the index (docs/operations.md#the-runs-log)."
    ),
}


@register(Tags.database)
def check_text_index(app_configs, databases=None, **kwargs):
    """workflows.W020: the Runs list's search has no index (it then reads the table)."""
    alias = router.db_for_read(Run)
    if not databases or alias not in databases:
        return []
    vendor = connections[alias].vendor
    if vendor not in NO_INDEX_HINT:
        return []
    forget_index_state()
    try:
        with connections[alias].cursor() as cursor:
            table = connections[alias].introspection.table_names(cursor)
    except DatabaseError:
        return []
    if TABLE not in table or (run_text_index.available() if vendor == "sqlite" else has_index()):
        return []
    return [
        Warning(
            "The Runs list's text search has no index: each search reads the run table, "
            "slow on a large log.",
            hint=NO_INDEX_HINT[vendor],
            id="workflows.W020",
        )
    ]
