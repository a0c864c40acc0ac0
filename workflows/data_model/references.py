"""Renaming a data type renames it where workflows and privacy rules name it, as Bubble
does (its references are ids; ours are names, so they are rewritten in the same change).

Rewritten: every ``data_type:`` value (parameters, a trigger's type, ``create_thing``, ...)
and the first argument of ``search('Lead', ...)`` in expressions; privacy rules' data type.
A field's rename is not rewritten into expressions (``thing.phone``): text cannot be
rewritten safely there; ``field_mentions`` lists where the old name appears instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..definitions import save_definition, workflow_definition
from ..models import DefinitionChange, PrivacyRule, Workflow
from ..privacy.definitions import rule_definition

Record = Callable[[str, str, str, Any, Any], None]


def rename_type(old: str, new: str, record: Record) -> list[str]:
    """Rewrite what names data type ``old`` (in any case) to ``new``; the names of the
    workflows and rules changed. ``record(kind, name, action, before, after)`` audits."""
    search = re.compile(rf"(search\(\s*)(['\"]){re.escape(old)}\2", re.IGNORECASE)

    def rewrite(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: rewrite(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        if isinstance(value, str):
            if key == "data_type" and value.lower() == old.lower():
                return new
            return search.sub(lambda m: f"{m.group(1)}{m.group(2)}{new}{m.group(2)}", value)
        return value

    changed: list[str] = []
    for workflow in Workflow.objects.prefetch_related("parameters", "actions").order_by("pk"):
        before = workflow_definition(workflow)
        after = rewrite(before)
        if after != before:
            save_definition(after)
            record(DefinitionChange.Kind.WORKFLOW, workflow.name, "changed", before, after)
            changed.append(workflow.name)
    for rule in PrivacyRule.objects.filter(data_type__iexact=old):
        before = rule_definition(rule)
        rule.data_type = new
        rule.save(update_fields=["data_type", "updated_at"])
        record(
            DefinitionChange.Kind.PRIVACY_RULE,
            rule.name or new,
            "changed",
            before,
            rule_definition(rule),
        )
        changed.append(f"privacy rule {rule.name or '(everyone else)'}")
    return changed


def field_mentions(name: str) -> list[str]:
    """Workflows and privacy rules whose text reads a field ``name`` (``.phone``,
    ``phone=`` in a search, ``'phone'``): where a renamed field's old name may still be
    used, for the builder to change."""
    pattern = re.compile(
        rf"(\.{re.escape(name)}\b|\b{re.escape(name)}(__\w+)?\s*=|['\"]{re.escape(name)}['\"])"
    )
    found: list[str] = []
    for workflow in Workflow.objects.prefetch_related("parameters", "actions").order_by("name"):
        if pattern.search(str(workflow_definition(workflow))):
            found.append(workflow.name)
    for rule in PrivacyRule.objects.order_by("data_type", "name"):
        if pattern.search(str(rule_definition(rule))):
            found.append(f"privacy rule {rule.data_type} {rule.name or '(everyone else)'}")
    return found


def rename_field_in_rules(type_name: str, old: str, new: str, record: Record) -> None:
    """Privacy rules of ``type_name`` that show field ``old`` show ``new`` instead: a rule
    names fields by name, and another field could take the old one."""
    for rule in PrivacyRule.objects.filter(data_type__iexact=type_name):
        if old not in (rule.view_fields or []):
            continue
        before = rule_definition(rule)
        rule.view_fields = [new if name == old else name for name in rule.view_fields]
        rule.save(update_fields=["view_fields", "updated_at"])
        label = rule.name or type_name
        record(DefinitionChange.Kind.PRIVACY_RULE, label, "changed", before, rule_definition(rule))
