"""Privacy rules as data (docs/import-export.md): rows ⇄ dicts, checking and saving.

```yaml
privacy_rules:
  - data_type: examples.Order
    name: owner-sees-own
    when: thing.customer.user == current_user
    view: all                   # or a list of field names
    find_in_searches: true
    modify_via_api: true        # also create_via_api, delete_via_api (default false)
  - data_type: examples.Order
    everyone_else: true
    view: [id, status]
```

Rules are matched by data type and name (the everyone-else rule by data type); importing
a file creates or changes the rules it names, in the order given, and leaves others alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import data_types
from ..exceptions import Issue, WorkflowError
from ..models import PrivacyRule
from .rules import InvalidRule, compile_rule

RULE_KEYS = (
    "data_type",
    "name",
    "everyone_else",
    "when",
    "view",
    "find_in_searches",
    "create_via_api",
    "modify_via_api",
    "delete_via_api",
    "description",
)
_FLAGS = ("find_in_searches", "create_via_api", "modify_via_api", "delete_via_api")
#: the id is always shown; a view list may name it (as docs/import-export.md's example does)
_ID_NAMES = {"id", "_id", "pk"}


def rule_definition(rule: PrivacyRule) -> dict[str, Any]:
    d: dict[str, Any] = {"data_type": rule.data_type}
    if rule.everyone_else:
        d["everyone_else"] = True
    else:
        d["name"] = rule.name
        d["when"] = rule.condition
    d["view"] = "all" if rule.view_all else list(rule.view_fields or [])
    for flag in _FLAGS:
        d[flag] = getattr(rule, flag)
    if rule.description:
        d["description"] = rule.description
    return d


def rule_key(d: Mapping[str, Any]) -> tuple[str, str]:
    """What identifies a rule: its data type and name (or "everyone else")."""
    label = str(d.get("data_type") or "")
    with contextlib.suppress(WorkflowError):  # an unknown type is reported by check_rule
        label = data_types.label_of(data_types.get_model(label))
    return label, "" if d.get("everyone_else") else str(d.get("name") or "")


def check_rule(d: Any) -> list[Issue]:
    """Everything wrong with one rule definition (empty when it can be saved)."""
    if not isinstance(d, Mapping):
        return [Issue((), "a privacy rule must be a mapping")]
    known = ", ".join(RULE_KEYS)
    issues = [Issue((k,), f"unknown key (keys: {known})") for k in d if k not in RULE_KEYS]
    for flag in ("everyone_else", *_FLAGS):
        if flag in d and not isinstance(d[flag], bool):
            issues.append(Issue((flag,), "must be true or false"))
    view = d.get("view", [])
    if not (view == "all" or isinstance(view, list) and all(isinstance(v, str) for v in view)):
        issues.append(Issue(("view",), "must be 'all' or a list of field names"))
    for key in ("name", "when", "description", "data_type"):
        if key in d and d[key] is not None and not isinstance(d[key], str):
            issues.append(Issue((key,), "must be text"))
    if issues:
        return issues
    try:
        compile_rule(**_rule_fields(d))
    except InvalidRule as exc:
        field = {"condition": "when", "view_fields": "view"}.get(exc.field, exc.field)
        return [Issue((field,), exc.detail)]
    return []


def _rule_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    view = d.get("view", [])
    return {
        "data_type": d.get("data_type") or "",
        "name": d.get("name") or "",
        "everyone_else": bool(d.get("everyone_else", False)),
        "condition": d.get("when") or "",
        "view_all": view == "all",
        "view_fields": [] if view == "all" else [v for v in view if v not in _ID_NAMES],
        "find_in_searches": bool(d.get("find_in_searches", False)),
        "create_via_api": bool(d.get("create_via_api", False)),
        "modify_via_api": bool(d.get("modify_via_api", False)),
        "delete_via_api": bool(d.get("delete_via_api", False)),
    }


def stored_rules() -> dict[tuple[str, str], PrivacyRule]:
    return {(r.data_type, "" if r.everyone_else else r.name): r for r in PrivacyRule.objects.all()}


def rule_status(d: Mapping[str, Any], stored: Mapping[tuple[str, str], PrivacyRule]) -> str:
    """``created``, ``updated`` or ``unchanged`` (position aside)."""
    current = stored.get(rule_key(d))
    if current is None:
        return "created"
    return "unchanged" if _normalized(rule_definition(current)) == _normalized(d) else "updated"


def _normalized(d: Mapping[str, Any]) -> dict[str, Any]:
    fields = _rule_fields(d)
    fields["data_type"] = rule_key(d)[0]
    fields["description"] = d.get("description") or ""
    if fields["everyone_else"]:
        fields["name"] = ""
    fields["view_fields"] = sorted(fields["view_fields"])
    return fields


@transaction.atomic
def save_rule(d: Mapping[str, Any], *, position: int) -> tuple[PrivacyRule, bool]:
    """Create or change the rule ``d`` names (already checked); ``(rule, changed)``."""
    fields = _normalized(d)
    label, name = rule_key(d)
    rule = PrivacyRule.objects.filter(
        data_type=label, everyone_else=fields["everyone_else"], name=name
    ).first()
    values = {
        "condition": fields["condition"],
        "view_all": fields["view_all"],
        "view_fields": fields["view_fields"],
        "find_in_searches": fields["find_in_searches"],
        "create_via_api": fields["create_via_api"],
        "modify_via_api": fields["modify_via_api"],
        "delete_via_api": fields["delete_via_api"],
        "description": fields["description"],
        "position": position,
    }
    if rule is None:
        rule = PrivacyRule.objects.create(
            data_type=label, name=name, everyone_else=fields["everyone_else"], **values
        )
        return rule, True
    changed = any(getattr(rule, k) != v for k, v in values.items())
    if changed:
        for key, value in values.items():
            setattr(rule, key, value)
        rule.save()
    return rule, changed
