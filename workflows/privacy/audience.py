"""What a class of caller could find and see of each data type: the same answer for every
member of the class, so it can be kept (the OpenAPI document, one per class) and said in
an error without naming what the caller may not see.

Three classes, from the credential alone:

* ``ANONYMOUS``: no key. Exactly the rules that can hold for a caller who is nobody (the
  everyone-else rule, and any other whose condition is not false for them: ``thing.is_public``,
  ``current_user is none``), as ``Policy`` applies them to an anonymous caller.
* ``USER``: an API key or user token of a user who is not staff. Every rule of the type,
  whatever its condition: each could hold for some user. A type with no rule is private to
  them, as the Data API treats it (``Policy.q`` grants nothing; django-guardian object
  permissions are one user's, not the class's: ``holds_object_view``).
* ``ADMIN``: a staff user (key, token or admin session) or a superuser: everything.

The rules are the privacy rules themselves (``rules.rules_for``, ``access.Policy``): what a
class could see is the union of what the rules that could apply to it show.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from .. import data_types
from .access import ALL_FIELDS, DataAccess, Policy
from .conditions import MATCH_NONE
from .grants import CREATE, GRANTS
from .rules import CompiledRule, rules_for


class Audience(enum.Enum):
    ANONYMOUS = "anonymous"
    USER = "user"
    ADMIN = "admin"


def audience_of(user: Any) -> Audience:
    """The class of a caller (a user, None or Django's anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Audience.ANONYMOUS
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return Audience.ADMIN
    return Audience.USER


@dataclass(frozen=True)
class Exposure:
    """What one class could do with one data type."""

    opened: bool  # some rule could grant it anything: find, see, create, modify, delete
    fields: frozenset[str] | None  # the fields some rule could show it; ALL_FIELDS: every one
    create: bool  # some rule could let it create things through the API

    def shows(self, name: str) -> bool:
        return self.fields is ALL_FIELDS or name in self.fields


EVERYTHING = Exposure(opened=True, fields=ALL_FIELDS, create=True)


def _applying(policy: Policy, audience: Audience) -> list[CompiledRule]:
    """The rules of ``policy`` that could hold for some member of ``audience``."""
    if audience is Audience.ANONYMOUS:
        if policy.actor is not None:
            raise ValueError("an anonymous caller's policy has no actor")
        return [rule for i, rule in enumerate(policy.rules) if policy.rule_q(i) != MATCH_NONE]
    return list(policy.rules)


def exposure(policy: Policy, audience: Audience) -> Exposure:
    """What ``audience`` could do with ``policy``'s data type (for ``ANONYMOUS``, a policy
    made for an anonymous caller)."""
    if audience is Audience.ADMIN:
        return EVERYTHING
    rules = _applying(policy, audience)
    if any(rule.view_all for rule in rules):
        fields = ALL_FIELDS
    else:
        fields = frozenset(name for rule in rules for name in rule.view_fields)
    return Exposure(
        opened=any(rule.grants(grant) for rule in rules for grant in GRANTS),
        fields=fields,
        create=any(rule.grants(CREATE) for rule in rules),
    )


def exposure_to(model: type[models.Model], audience: Audience) -> Exposure:
    """What ``audience`` could do with ``model`` (one small query: its rules' versions)."""
    if audience is Audience.ADMIN:
        return EVERYTHING
    return exposure(Policy(model, None, rules_for(model)), audience)


def opened_labels(audience: Audience) -> list[str]:
    """The labels of the data types ``audience`` could find, see or write things of, sorted."""
    return sorted(
        data_types.label_of(model)
        for model in data_types.allowed_models()
        if exposure_to(model, audience).opened
    )


# --- one Data API caller -------------------------------------------------------------------


def caller_audience(access: DataAccess) -> Audience:
    return Audience.ADMIN if access.unrestricted else audience_of(access.actor)


def holds_object_view(access: DataAccess, model: type[models.Model]) -> bool:
    """Whether the caller holds django-guardian's ``view`` permission on some thing of
    ``model``: it then sees every field of that thing, whatever its class sees."""
    q = access.policy(model).guardian_q("view")
    return q is not None and model._default_manager.filter(q).exists()


def field_filter(access: DataAccess, model: type[models.Model]) -> Callable[[str], bool]:
    """Whether the caller may name a field of ``model`` in a search, a sort or a change:
    one its class could see (the OpenAPI document it is given lists those), or any field
    for a holder of an object permission on one of its things (asked of the database only
    for a field its class could not see). A field it may not name is answered as one that
    does not exist, so a hidden field's name cannot be probed either."""
    audience = caller_audience(access)
    if audience is Audience.ADMIN:
        return lambda name: True
    seen = exposure(access.policy(model), audience)
    if seen.fields is ALL_FIELDS:
        return lambda name: True
    fields = seen.fields
    holds: list[bool] = []

    def named(name: str) -> bool:
        if name in fields:
            return True
        if not holds:
            holds.append(holds_object_view(access, model))
        return holds[0]

    return named


__all__ = [
    "EVERYTHING",
    "Audience",
    "Exposure",
    "audience_of",
    "caller_audience",
    "exposure",
    "exposure_to",
    "field_filter",
    "holds_object_view",
    "opened_labels",
]
