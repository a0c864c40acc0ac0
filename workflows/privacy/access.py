"""The door every read of things goes through: privacy rules applied in the query.

A ``DataAccess`` belongs to one run (or one Data API request) and one actor. It hands out
querysets already filtered by what the actor may find or reach, and tells which fields of
given things the actor may see. Nobody is granted anything a rule does not grant (see
``workflows.models.privacy``), except:

* a workflow that ignores privacy rules (or a run started with ``ignore_privacy``);
* superusers, who may do everything in the admin anyway;
* django-guardian object permissions: ``view_<model>`` on a thing lets its holder find it
  and see all its fields, ``change_<model>`` / ``delete_<model>`` let them modify or
  delete it through the Data API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_permission_codename
from django.db import models
from django.db.models import Exists, OuterRef, Q

from .. import data_types
from ..data_model.options import is_option_model
from .conditions import MATCH_ALL, MATCH_NONE, q_or
from .grants import CREATE, DELETE, FIND, MODIFY, VIEW
from .rules import CompiledRule, rules_for

#: ``fields_for`` value meaning "every field"
ALL_FIELDS = None
_GUARDIAN_ACTIONS = {FIND: "view", VIEW: "view", MODIFY: "change", DELETE: "delete"}


def _is_constant(q: Q) -> bool:
    return q in (MATCH_ALL, MATCH_NONE)


def _filtered(queryset: models.QuerySet, q: Q) -> models.QuerySet:
    if q == MATCH_ALL:
        return queryset
    if q == MATCH_NONE:
        return queryset.none()
    return queryset.filter(q)


class Policy:
    """What one actor may do with the things of one data type."""

    def __init__(self, model: type[models.Model], actor: Any, rules: list[CompiledRule]):
        self.model = model
        self.actor = actor
        self.rules = rules
        self._rule_q: dict[int, Q] = {}

    # --- filters ---------------------------------------------------------------------------

    def rule_q(self, index: int) -> Q:
        """Rule ``index``'s condition for this actor, safe to OR with others."""
        if index not in self._rule_q:
            rule = self.rules[index]
            q = rule.condition.q(self.actor)
            if rule.condition.multi and not _is_constant(q):
                # through a many-valued relation: a subquery, so no row is counted twice
                q = Q(pk__in=self.model._default_manager.filter(q).values("pk"))
            self._rule_q[index] = q
        return self._rule_q[index]

    def guardian_q(self, action: str) -> Q | None:
        """Things this user holds the django-guardian object permission ``action`` (view,
        change, delete) on; None for anonymous callers."""
        if not getattr(self.actor, "is_authenticated", False):
            return None
        from guardian.shortcuts import get_objects_for_user

        opts = self.model._meta
        permitted = get_objects_for_user(
            self.actor,
            f"{opts.app_label}.{get_permission_codename(action, opts)}",
            klass=self.model._default_manager.all(),
            accept_global_perms=False,
            with_superuser=False,
        )
        return Q(pk__in=permitted.values("pk"))

    def q(self, *grants: str) -> Q:
        """Things for which any rule (or an object permission) grants any of ``grants``."""
        q = MATCH_NONE
        for index, rule in enumerate(self.rules):
            if any(rule.grants(grant) for grant in grants):
                q = q_or(q, self.rule_q(index))
                if q == MATCH_ALL:
                    return q
        for action in dict.fromkeys(_GUARDIAN_ACTIONS[g] for g in grants if g in _GUARDIAN_ACTIONS):
            extra = self.guardian_q(action)
            if extra is not None:
                q = q_or(q, extra)
        return q

    def restrict(self, queryset: models.QuerySet, *grants: str) -> models.QuerySet:
        return _filtered(queryset, self.q(*grants))

    def restrict_to_visible(self, queryset: models.QuerySet, field: str) -> models.QuerySet:
        return _filtered(queryset, self.field_q(field))

    def field_q(self, field: str) -> Q:
        """Things whose ``field`` this actor may see (a Data API constraint on it matches
        only those, so hidden values cannot be probed)."""
        q = MATCH_NONE
        for index, rule in enumerate(self.rules):
            if rule.shows(field):
                q = q_or(q, self.rule_q(index))
                if q == MATCH_ALL:
                    return q
        extra = self.guardian_q("view")
        if extra is not None:
            q = q_or(q, extra)
        return q

    def shows_everywhere(self, field: str) -> bool:
        """Whether every rule that lets this actor find things also shows ``field`` (so
        sorting by it reveals no hidden order)."""
        return all(rule.shows(field) for rule in self.rules if rule.grants(FIND))

    # --- fields ----------------------------------------------------------------------------

    def fields_for(self, pks: Iterable[Any]) -> dict[Any, frozenset[str] | None]:
        """For each thing (by id): the fields this actor may see, ``ALL_FIELDS`` for all.

        One query, whatever the number of rules: each rule's condition becomes an
        ``EXISTS`` column.
        """
        pks = [pk for pk in dict.fromkeys(pks) if pk is not None]
        if not pks:
            return {}
        everywhere: set[str] = set()
        everywhere_all = False
        per_row: dict[str, CompiledRule] = {}
        annotations: dict[str, Any] = {}
        for index, rule in enumerate(self.rules):
            if not rule.grants(VIEW):
                continue
            q = self.rule_q(index)
            if q == MATCH_NONE:
                continue
            if q == MATCH_ALL:
                everywhere_all = everywhere_all or rule.view_all
                everywhere |= rule.view_fields
                continue
            name = f"_privacy_rule_{index}"
            per_row[name] = rule
            annotations[name] = Exists(
                self.model._default_manager.filter(pk=OuterRef("pk")).filter(q)
            )
        if everywhere_all:
            # before the object permissions: they could add nothing, and building their
            # query costs more than the rest of a small run (docs/performance.md)
            return dict.fromkeys(pks, ALL_FIELDS)
        guardian = self.guardian_q("view")
        if guardian is not None:
            annotations["_privacy_guardian"] = Exists(
                self.model._default_manager.filter(pk=OuterRef("pk")).filter(guardian)
            )
        if not annotations:
            return dict.fromkeys(pks, frozenset(everywhere))
        names = list(annotations)
        rows = (
            self.model._default_manager.filter(pk__in=pks)
            .annotate(**annotations)
            .values_list("pk", *names)
        )
        result: dict[Any, frozenset[str] | None] = dict.fromkeys(pks, frozenset(everywhere))
        for pk, *flags in rows:
            fields = set(everywhere)
            show_all = False
            for name, flag in zip(names, flags, strict=True):
                if not flag:
                    continue
                if name == "_privacy_guardian":
                    show_all = True
                    break
                rule = per_row[name]
                if rule.view_all:
                    show_all = True
                    break
                fields |= rule.view_fields
            result[pk] = ALL_FIELDS if show_all else frozenset(fields)
        return result


class DataAccess:
    """Privacy-filtered access to things for one actor (None: anonymous)."""

    def __init__(self, actor: Any, *, ignore_privacy: bool):
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.ignore_privacy = ignore_privacy
        self.unrestricted = ignore_privacy or bool(getattr(self.actor, "is_superuser", False))
        self._policies: dict[type[models.Model], Policy] = {}
        self._visible: dict[tuple[str, Any], Any] = {}  # (label, pk) -> fields, per run
        self._reach: dict[tuple[str, Any], bool] = {}

    def policy(self, model: type[models.Model]) -> Policy:
        model = model._meta.concrete_model
        if model not in self._policies:
            self._policies[model] = Policy(model, self.actor, rules_for(model))
        return self._policies[model]

    def restrict(self, queryset: models.QuerySet, *grants: str) -> models.QuerySet:
        # options (a thing's list of options) belong to the app's definition, not to
        # anyone: no privacy rule is about them
        if self.unrestricted or is_option_model(queryset.model):
            return queryset
        return self.policy(queryset.model).restrict(queryset, *grants)

    def findable(self, model: type[models.Model]) -> models.QuerySet:
        """Things that appear in this actor's searches (``search()``, lists)."""
        return self.restrict(model._default_manager.all(), FIND)

    def reachable(self, model: type[models.Model]) -> models.QuerySet:
        """Things this actor may fetch by id (a ``thing`` parameter, ``/obj/<type>/<id>``):
        those it may find or see any field of."""
        return self.restrict(model._default_manager.all(), FIND, VIEW)

    # the engine's historical name for a search's starting point
    queryset = findable

    def can(self, grant: str, thing: models.Model) -> bool:
        """Whether this actor holds ``grant`` (create/modify/delete...) on ``thing``."""
        if self.unrestricted:
            return True
        model = type(thing)
        return self.restrict(model._default_manager.filter(pk=thing.pk), grant).exists()

    def fields_for(self, things: Iterable[models.Model]) -> dict[tuple[str, Any], Any]:
        """Visible fields per thing, keyed by ``(label, pk)``; ``ALL_FIELDS`` for all."""
        by_model: dict[type[models.Model], list[Any]] = {}
        for thing in things:
            by_model.setdefault(type(thing), []).append(thing.pk)
        result: dict[tuple[str, Any], Any] = {}
        for model, pks in by_model.items():
            label = data_types.label_of(model)
            if self.unrestricted:
                visible = dict.fromkeys(pks, ALL_FIELDS)
            else:
                visible = self.policy(model).fields_for(pks)
            for pk in pks:
                result[(label, pk)] = visible.get(pk, frozenset())
        return result

    def visible_fields(self, thing: models.Model) -> frozenset[str] | None:
        """The fields of ``thing`` this actor may read (``ALL_FIELDS``: every one), asked of
        the database once per thing and run: what an expression may read of it."""
        if self.unrestricted:
            return ALL_FIELDS
        key = (data_types.label_of(thing), thing.pk)
        if key not in self._visible:
            self._visible.update(self.fields_for([thing]))
        return self._visible[key]

    def can_reach(self, thing: models.Model) -> bool:
        """Whether this actor may hold ``thing`` at all (find it or see any of its fields):
        a related thing it may not reach reads as none in an expression."""
        if self.unrestricted:
            return True
        key = (data_types.label_of(thing), thing.pk)
        if key not in self._reach:
            policy = self.policy(type(thing))
            if policy.q(FIND, VIEW) == MATCH_ALL:
                self._reach[key] = True
            else:
                queryset = type(thing)._default_manager.filter(pk=thing.pk)
                self._reach[key] = policy.restrict(queryset, FIND, VIEW).exists()
        return self._reach[key]

    def restrict_to_visible_path(
        self, queryset: models.QuerySet, path: list[models.Field]
    ) -> models.QuerySet:
        """Only things whose value along ``path`` (fields, through relations) this actor may
        see at every step: a search filtering on ``customer__email`` finds nothing by a
        hidden order customer or a hidden customer email, so hidden values cannot be
        probed one guess at a time."""
        if self.unrestricted or not path:
            return queryset
        return queryset.filter(pk__in=self._visible_path(queryset.model, path).values("pk"))

    def _visible_path(self, model: type[models.Model], path: list[models.Field]) -> Any:
        field, rest = path[0], path[1:]
        things = self.policy(model).restrict_to_visible(model._default_manager.all(), field.name)
        if rest and field.is_relation:
            related = self._visible_path(field.related_model, rest)
            things = things.filter(**{f"{field.name}__in": related.values("pk")})
        return things

    def serializer(self, things: Iterable[models.Model]) -> Any:
        """``thing -> visible fields`` for ``data_types.thing_to_dict``, computed in bulk."""
        visible = self.fields_for(things)
        return lambda thing: visible.get((data_types.label_of(thing), thing.pk), frozenset())


__all__ = ["ALL_FIELDS", "CREATE", "DELETE", "FIND", "MODIFY", "VIEW", "DataAccess", "Policy"]
