"""Privacy rules compiled for use: what each rule grants, and on which things.

Rules are read from the database each time a policy is built (one small indexed query per
data type per run or request, so an edit in the admin applies at once in every process);
their conditions are translated once per saved version (cached by id and ``updated_at``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router

from .. import data_types
from ..exceptions import ExpressionError
from ..models import PrivacyRule
from .conditions import TranslatedCondition, translate
from .grants import CREATE, DELETE, FIND, MODIFY, VIEW


class InvalidRule(ExpressionError):
    """A privacy rule that cannot be saved: which field, what is wrong."""

    code = "INVALID_PRIVACY_RULE"
    http_status = 400

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", parameter=field)
        self.field = field
        self.detail = message


@dataclass(frozen=True)
class CompiledRule:
    name: str
    everyone_else: bool
    condition: TranslatedCondition
    view_all: bool
    view_fields: frozenset[str]
    find: bool
    create: bool
    modify: bool
    delete: bool

    def grants(self, grant: str) -> bool:
        if grant == VIEW:
            return self.view_all or bool(self.view_fields)
        return {FIND: self.find, CREATE: self.create, MODIFY: self.modify, DELETE: self.delete}[
            grant
        ]

    def shows(self, field: str) -> bool:
        return self.view_all or field in self.view_fields


def viewable_field_names(model: type[models.Model]) -> list[str]:
    """Fields a rule may list under "view these fields" (what the API shows of a thing)."""
    return [f.name for f in data_types.visible_fields(model) if not f.primary_key]


def compile_rule(
    *,
    data_type: str,
    condition: str,
    everyone_else: bool,
    view_all: bool,
    view_fields: Iterable[str],
    find_in_searches: bool,
    create_via_api: bool,
    modify_via_api: bool,
    delete_via_api: bool,
    name: str = "",
) -> CompiledRule:
    """Check and translate a rule; ``InvalidRule`` names the field at fault."""
    try:
        model = data_types.get_model(data_type)
    except Exception as exc:
        raise InvalidRule("data_type", str(exc)) from None
    if everyone_else and (condition or "").strip():
        raise InvalidRule(
            "condition", "the everyone-else rule applies to everybody: it takes no condition"
        )
    if not everyone_else and not (condition or "").strip():
        raise InvalidRule(
            "condition",
            "a rule needs a condition, e.g. thing.customer.user == current_user "
            "(for everybody, use the everyone-else rule)",
        )
    if not everyone_else and not (name or "").strip():
        raise InvalidRule("name", "a rule needs a name")
    if not isinstance(view_fields, list | tuple | set | frozenset):
        raise InvalidRule("view_fields", "must be a list of field names")
    known = set(viewable_field_names(model))
    unknown = [f for f in view_fields if f not in known]
    if unknown:
        raise InvalidRule(
            "view_fields",
            f"{data_types.label_of(model)} has no field {unknown[0]!r} that can be shown "
            f"(fields: {', '.join(sorted(known))})",
        )
    try:
        translated = translate(condition or "", model)
    except ExpressionError as exc:
        raise InvalidRule("condition", exc.message) from None
    return CompiledRule(
        name=name or "everyone else",
        everyone_else=everyone_else,
        condition=translated,
        view_all=view_all,
        view_fields=frozenset(view_fields),
        find=find_in_searches,
        create=create_via_api,
        modify=modify_via_api,
        delete=delete_via_api,
    )


def compile_rule_row(rule: PrivacyRule) -> CompiledRule:
    return compile_rule(
        data_type=rule.data_type,
        condition=rule.condition,
        everyone_else=rule.everyone_else,
        view_all=rule.view_all,
        view_fields=list(rule.view_fields or []),
        find_in_searches=rule.find_in_searches,
        create_via_api=rule.create_via_api,
        modify_via_api=rule.modify_via_api,
        delete_via_api=rule.delete_via_api,
        name=rule.name,
    )


_compiled: dict[tuple[int, Any], CompiledRule] = {}
#: per data type: the (id, updated_at) of its rules when last read, and their compiled list
_by_type: dict[str, tuple[tuple[tuple[Any, ...], ...], list[CompiledRule]]] = {}
_lock = threading.Lock()


def rules_for(model: type[models.Model]) -> list[CompiledRule]:
    """The rules of ``model``'s data type, in order, the everyone-else rule last: those of
    the deployed version serving the call or run (docs/versions.md), else development's.

    Read on every call, so an edit in the admin applies at once in every process: first
    only the rules' ids and ``updated_at`` (one prepared statement, a few µs), and the
    rows themselves only when those changed since this process last read them (an ORM
    query costs a run about 0.3 ms, see docs/performance.md). A stored rule that no
    longer translates (a field was removed since) grants nothing rather than failing
    every read; the admin's privacy rules page reports it.
    """
    from ..versions.serving import pinned  # it compiles rules with this module

    label = data_types.label_of(model)
    deployed = pinned()
    if deployed is not None:  # a call or run served by a deployed version: its rules
        return deployed.rules_for(label)
    versions = _rule_versions(label)
    cached = _by_type.get(label)
    if cached is not None and cached[0] == versions:
        return list(cached[1])
    rows = PrivacyRule.objects.filter(data_type=label).order_by("everyone_else", "position", "id")
    compiled = []
    for row in rows:
        key = (row.pk, row.updated_at)
        rule = _compiled.get(key)
        if rule is None:
            try:
                rule = compile_rule_row(row)
            except ExpressionError:
                continue
            with _lock:
                if len(_compiled) > 10_000:
                    _compiled.clear()
                _compiled[key] = rule
        compiled.append(rule)
    # stored under the versions read *before* the rows: if a rule changed in between,
    # the next call sees other versions and reads the rows again
    with _lock:
        _by_type[label] = (versions, compiled)
    return list(compiled)


def clear_cache() -> None:
    """Forget every compiled rule (tests: rows rolled back between tests may reuse ids)."""
    with _lock:
        _compiled.clear()
        _by_type.clear()


def _rule_versions(label: str) -> tuple[tuple[Any, ...], ...]:
    """``(id, updated_at)`` of each rule of data type ``label``, by id: whether the rules
    changed (a save bumps ``updated_at``, a delete or an addition changes the ids)."""
    connection = connections[router.db_for_read(PrivacyRule)]
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql(connection.vendor), [label])
        return tuple(map(tuple, cursor.fetchall()))


@functools.cache
def _versions_sql(vendor: str) -> str:
    del vendor  # part of the cache key: quoting differs between databases
    connection = connections[router.db_for_read(PrivacyRule)]
    quote = connection.ops.quote_name
    meta = PrivacyRule._meta
    pk, updated_at, data_type = (
        quote(meta.get_field(name).column) for name in ("id", "updated_at", "data_type")
    )
    return (
        f"SELECT {pk}, {updated_at} FROM {quote(meta.db_table)} "  # noqa: S608 - quoted model metadata
        f"WHERE {data_type} = %s ORDER BY {pk}"
    )


def broken_rules() -> list[tuple[PrivacyRule, str]]:
    """Stored rules that do not compile any more, with the reason (shown in the admin)."""
    broken = []
    for row in PrivacyRule.objects.all():
        try:
            compile_rule_row(row)
        except ExpressionError as exc:
            broken.append((row, exc.message))
    return broken
