"""The ``privacy_rules:`` part of workflow files: read, checked and saved with the workflows
(``workflows.transfer`` calls these inside its one transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import audit
from ..exceptions import Issue
from ..models import PrivacyRule
from .definitions import check_rule, rule_definition, rule_key, rule_status, save_rule, stored_rules


@dataclass
class RuleSource:
    """One privacy rule as read from a file, and where it is."""

    definition: Any
    file: str
    line_of: Any  # path within the rule -> line number (or None)
    index: int  # its position in the file's list

    @property
    def name(self) -> str:
        d = self.definition
        if not isinstance(d, Mapping):
            return f"#{self.index + 1}"
        label, name = rule_key(d)
        return f"{label}: {name or 'everyone else'}"


def check_rules(sources: list[RuleSource]) -> list[tuple[RuleSource, Issue]]:
    """Every problem of every rule, and rules defined twice."""
    problems = [(source, issue) for source in sources for issue in check_rule(source.definition)]
    seen: dict[tuple[str, str], RuleSource] = {}
    for source in sources:
        if not isinstance(source.definition, Mapping):
            continue
        key = rule_key(source.definition)
        if key in seen:
            earlier = seen[key]
            problems.append(
                (
                    source,
                    Issue(
                        ("name",),
                        f"this rule is also defined at {earlier.file}:{earlier.line_of(())}",
                    ),
                )
            )
        else:
            seen[key] = source
    return problems


def rule_statuses(sources: list[RuleSource]) -> dict[int, str]:
    stored = stored_rules()
    return {id(s): rule_status(s.definition, stored) for s in sources}


def save_rules(
    sources: list[RuleSource], statuses: Mapping[int, str], *, user: Any, audit_source: str
) -> None:
    """Save the rules that are new or changed, in file order, recording each change."""
    before = {key: rule_definition(rule) for key, rule in stored_rules().items()}
    for position, source in enumerate(sources):
        if statuses[id(source)] in ("unchanged", "kept"):
            continue
        rule, changed = save_rule(source.definition, position=position)
        if not changed:
            continue
        key = (rule.data_type, "" if rule.everyone_else else rule.name)
        audit.record_change(
            kind=audit.Kind.PRIVACY_RULE,
            name=str(rule),
            action=audit.Action.CHANGED if key in before else audit.Action.CREATED,
            before=before.get(key),
            after=rule_definition(rule),
            user=user,
            source=audit_source,
        )


def export_rules() -> list[dict[str, Any]]:
    return [rule_definition(rule) for rule in PrivacyRule.objects.all()]
