"""This process's models of the data types defined without code, kept current.

``ensure_current()`` reads one number (``SchemaVersion``) and, when it moved since the
models were built, builds them again from the definitions and tells the caches that
depend on them (``on_rebuild``).

It runs once per unit of work, the first time that work asks about data types
(``data_types`` calls ``ensure_current_once``): each HTTP request (``SchemaMiddleware``)
and each run (``engine.run``) is such a unit (a ``scope``). So a change made in one
process is used by every other before it next touches a data type, without a restart,
and work that never touches one (a trivial scheduled run, a refused request) costs no
query. Outside any unit (a shell, a command) the models are built once, on first use.
``built_models()`` only reads what was built: it never queries.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connection
from django.db.models import Model

from ..models.data_model import DataField, DataType, SchemaVersion
from ..statements import FirstValue
from . import builder

logger = logging.getLogger("workflows.data_model")

_lock = threading.Lock()
_built_version: int | None = None
_by_name: dict[str, type[Model]] = {}
_by_id: dict[int, type[Model]] = {}
#: called after every rebuild (caches keyed by models or data type names)
_listeners: list[Callable[[], None]] = []
#: inside a unit of work: whether it checked the version yet; None outside any unit
_scope: contextvars.ContextVar[bool | None] = contextvars.ContextVar("schema_scope", default=None)
#: inside a change of the data model (``schema.schema_change``): the models are behind what
#: the change made so far, and are built again when it next asks about data types
_behind: contextvars.ContextVar[bool] = contextvars.ContextVar("schema_behind", default=False)


def on_rebuild(listener: Callable[[], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def built_models() -> dict[str, type[Model]]:
    """The built models by lower-cased data type name (no query)."""
    return _by_name


def built_version() -> int | None:
    """The data model's version the built models are of (None: not built yet); what
    caches derived from them key on (the OpenAPI document)."""
    return _built_version


def model_for_type(data_type_id: int) -> type[Model] | None:
    return _by_id.get(data_type_id)


#: read by every unit of work that touches a data type (``FirstValue``)
_schema_version = FirstValue(
    SchemaVersion, lambda: SchemaVersion.objects.values_list("version", flat=True)
)


def stored_version() -> int | None:
    """The data model's version in the database; None before its table exists."""
    try:
        return _schema_version() or 0
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        return None  # not migrated yet


def rebuild_later() -> None:
    """A step of a change that goes on changed the definitions (``schema.schema_change``):
    build the models when the change next asks about data types, or when it ends, not now
    (a save adding 300 fields builds them once, not 300 times)."""
    _behind.set(True)


def ensure_current() -> None:
    """Build the models again if the data model changed since they were built."""
    if _behind.get():
        rebuild()
        return
    version = stored_version()
    if version is not None and version != _built_version:
        rebuild(version)


def ensure_current_once() -> None:
    """``ensure_current`` the first time the current unit of work asks; outside any unit,
    only if the models were never built (and the app registry is ready: never while
    Django starts)."""
    if _behind.get():  # inside a change: what it made so far
        rebuild()
        return
    state = _scope.get()
    if state is None:
        if _built_version is None and apps.ready:
            ensure_current()
        return
    if not state:
        _scope.set(True)  # first: a rebuild asks about data types too
        ensure_current()


@contextmanager
def scope() -> Iterator[None]:
    """A unit of work (a request, a run) that checks the version once, when it first
    touches a data type; nested units share the outer one's check."""
    if _scope.get() is not None:
        yield
        return
    token = _scope.set(False)
    try:
        yield
    finally:
        _scope.reset(token)


def rebuild(version: int | None = None) -> None:
    """Build every data type's model from the stored definitions, now."""
    global _built_version, _by_name, _by_id
    _behind.set(False)
    with _lock:
        if version is None:
            version = stored_version() or 0
        types = list(DataType.objects.order_by("pk"))
        fields = DataField.objects.filter(deleted_at__isnull=True).select_related(
            "target_type", "option_set"
        )
        classes = builder.build(types, fields)
        _by_id = classes
        _by_name = {t.name.lower(): classes[t.pk] for t in types}
        _built_version = version
    for listener in list(_listeners):
        listener()


def forget() -> None:
    """Drop the built models (tests: the next ``ensure_current`` builds them again)."""
    global _built_version, _by_name, _by_id
    with _lock:
        _built_version, _by_name, _by_id = None, {}, {}
        builder.build([], [])
    for listener in list(_listeners):
        listener()


class SchemaMiddleware:
    """Each request is a unit of work: it uses the current data model from the moment it
    first touches a data type."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with scope():
            return self.get_response(request)
