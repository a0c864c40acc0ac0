"""Development's own data: the things of test runs in a database of their own.

Bubble keeps a development database apart from the live one. Here an operator may do the
same with ``VERSION_TEST_DATABASE_URL``: the database alias ``version_test``. Then the
things of every data type defined without code (the ``things`` app) are read and written
there by whatever a test of development does — ``/version-test/`` calls, the runs they
start or schedule, the admin's *Run now* — and in the main database by everything else.
Everything that is not a thing stays in the main database, whoever runs: users and their
keys and tokens (the same authentication), workflows, versions, runs, the Scheduler,
privacy rules, option sets (docs/versions.md#a-database-for-development).

The development database holds only the things' tables. They are made, and given the
columns the data model adds, by ``sync()``: the first time a process routes a thing there
after the data model changed (one comparison of two numbers otherwise). Columns are only
ever added: a field's index or uniqueness changed later applies to the main database only.

A run of a test writes its things in a transaction of the development database nested in
its transaction of the main one (``atomic``): a failure rolls back both; the things commit
just before the run's log, so a crash between the two commits can run that test again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from ..versions.edition import testing
from . import registry
from .builder import APP_LABEL

ALIAS = "version_test"
_lock = threading.Lock()
#: the data model's version whose tables this process made sure of in the development database
_synced: int | None = None


def configured() -> bool:
    """Whether development has a database of its own (``VERSION_TEST_DATABASE_URL``)."""
    return ALIAS in connections.settings


def things_alias() -> str:
    """The database the things of the call or run in progress live in."""
    return ALIAS if testing() and configured() else DEFAULT_DB_ALIAS


@contextlib.contextmanager
def atomic() -> Iterator[None]:
    """A transaction of the main database and, for a test with a database of its own,
    one of that database nested in it: what writes things and the run's log together."""
    with transaction.atomic():
        if things_alias() == DEFAULT_DB_ALIAS:
            yield
            return
        registry.ensure_current_once()
        sync_if_behind()  # before the transaction: SQLite changes no table inside one
        with transaction.atomic(using=ALIAS):
            yield


class ThingsRouter:
    """Sends the things of a test to the development database when it has one; every other
    model to the main database (never to the database of the thing that points at it)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not configured():
            return None
        if model._meta.app_label != APP_LABEL:
            return DEFAULT_DB_ALIAS
        if things_alias() == ALIAS:
            sync_if_behind()
            return ALIAS
        return DEFAULT_DB_ALIAS

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        """A thing may point at a user or an option of the main database: references of
        data types are soft (no constraint), read through this router."""
        if APP_LABEL in (obj1._meta.app_label, obj2._meta.app_label):
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        """The development database gets no migrations: only the things' tables (``sync``)."""
        if db == ALIAS:
            return False
        return None


def sync_if_behind() -> None:
    """``sync`` once per version of the data model this process builds; not inside a
    transaction on SQLite (its schema editor cannot work there): the run's ``atomic``
    made sure of it before."""
    version = registry.built_version()
    if version is None or version == _synced:
        return
    connection = connections[ALIAS]
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        return
    with _lock:
        if version != _synced:
            sync(version)


def sync(version: int | None = None) -> list[str]:
    """Make the development database's tables match the data model: every data type's
    table and list join tables, with every column the main database's table has (deleted
    fields' included, until purged). What was made, as ``table`` or ``table.column``."""
    global _synced
    from ..models.data_model import DataType
    from .schema import models_with

    made: list[str] = []
    connection = connections[ALIAS]
    for data_type in DataType.objects.using(DEFAULT_DB_ALIAS).order_by("pk"):
        model = models_with(data_type)[data_type.pk]
        for attempt in (1, 2):  # another process may make the same table at the same moment
            try:
                made += _sync_table(connection, model)
                break
            except DatabaseError:
                if attempt == 2:
                    raise
    _synced = version if version is not None else registry.built_version()
    return made


def _sync_table(connection: Any, model: type) -> list[str]:
    made: list[str] = []
    with connection.schema_editor(atomic=True) as editor:
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            table = model._meta.db_table
            if table not in tables:
                editor.create_model(model)  # its lists' join tables too
                return [table]
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
        for field in model._meta.local_fields:
            if field.column not in columns:
                editor.add_field(model, field)
                made.append(f"{table}.{field.column}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.db_table not in tables:
                editor.create_model(through)
                made.append(through._meta.db_table)
    return made
