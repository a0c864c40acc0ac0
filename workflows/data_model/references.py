"""Renaming a data type renames it where workflows and privacy rules name it, as Bubble
does (its references are ids; ours are names, so they are rewritten in the same change).

Rewritten: every ``data_type:`` value (parameters, a trigger's type, ``create_thing``, ...)
and the first argument of ``search('Lead', ...)`` in expressions; privacy rules' data type.
A field's rename is rewritten where privacy rules read it — their shown fields and their
conditions, whose roots (``thing``, ``current_user``) have known types, so each
``thing.owner.phone`` chain can be followed field by field — and only there: a rule that
kept reading the old name would read whatever field takes it next. In workflows' expressions
a value's type is not always known from the text (a step's result, a list's item), so
``field_mentions`` lists where the old name appears instead, for the builder to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from jinja2.exceptions import TemplateSyntaxError

from .. import data_types
from ..definitions import save_definition, workflow_definition
from ..engine.expressions import environment
from ..exceptions import WorkflowError
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
    """Privacy rules that read field ``old`` of ``type_name`` read ``new`` instead: the
    fields its own rules show, and every condition's chain reaching that field (a rule of
    another type too: ``thing.lead.owner``). A rule names fields by name, and another field
    could take the old one."""
    for rule in PrivacyRule.objects.order_by("pk"):
        own = rule.data_type.lower() == type_name.lower()
        fields = rule.view_fields or []
        shown = [new if own and name == old else name for name in fields]
        condition = rename_in_condition(rule.condition, rule.data_type, type_name, old, new)
        if shown == fields and condition == rule.condition:
            continue
        before = rule_definition(rule)
        rule.view_fields, rule.condition = shown, condition
        rule.save(update_fields=["view_fields", "condition", "updated_at"])
        label = rule.name or rule.data_type
        record(DefinitionChange.Kind.PRIVACY_RULE, label, "changed", before, rule_definition(rule))


def rename_in_condition(condition: str, rule_type: str, type_name: str, old: str, new: str) -> str:
    """``condition`` (of a rule of ``rule_type``) with every ``.old`` that reads field
    ``old`` of ``type_name`` renamed ``new``, the rest of its text untouched.

    Its tokens are followed left to right: a chain starts at ``thing`` (a thing of
    ``rule_type``) or ``current_user`` and goes on through ``.name`` while each name is a
    relation; anything else ends it. A condition that does not parse is left as it is (the
    rule's own check refuses it)."""
    if not condition or old not in condition:
        return condition
    try:
        roots = {"thing": data_types.get_model(rule_type), "current_user": get_user_model()}
        tokens = list(environment.lexer.tokeniter(condition, None, state="variable"))
    except (WorkflowError, TemplateSyntaxError):
        return condition
    texts = [value for _, _, value in tokens]
    model: type[models.Model] | None = None
    expect_name = False
    for i, (_, kind, value) in enumerate(tokens):
        if kind == "whitespace":
            continue
        if kind == "operator" and value == "." and model is not None:
            expect_name = True
            continue
        if kind == "name" and expect_name and model is not None:
            renamed = _renamed(model, value, type_name, old, new)
            if renamed is not None:
                texts[i] = renamed
            model = _related(model, (texts[i], value))
        else:
            model = roots.get(value) if kind == "name" else None
        expect_name = False
    return "".join(texts)


def _renamed(model: type[models.Model], name: str, type_name: str, old: str, new: str):
    """The new spelling of ``name`` if it reads the renamed field of ``type_name``."""
    same_type = data_types.label_of(model).lower() == type_name.lower()
    return new if same_type and name == old else None


def _related(model: type[models.Model], names: tuple[str, ...]) -> type[models.Model] | None:
    """The model the relation named by the first of ``names`` that ``model`` has leads to
    (``None``: the chain ends): a renamed field goes by its new or its old name while the
    models are being rebuilt."""
    for name in dict.fromkeys(names):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return field.related_model if field.is_relation else None
    return None
