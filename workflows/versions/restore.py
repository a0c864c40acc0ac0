"""Copying a deployed version back into development (docs/versions.md#rollback).

Development becomes what the version was: its workflows and privacy rules are imported (as
``import_workflows`` does: all checked first, each change in the audit trail), then the
workflows and privacy rules development has that the version has not are deleted, each
recorded too. Data types and option sets are imported but none is deleted: the data model
is shared with live, and deleting a type deletes its things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .. import audit
from ..models import PrivacyRule, Version, Workflow
from ..privacy.definitions import rule_definition, rule_key
from ..transfer import ImportReport, WorkflowFile, import_definitions
from ..yaml_loader import dump_yaml


@dataclass
class Restored:
    """What copying a version into development did."""

    report: ImportReport
    deleted_workflows: list[str] = field(default_factory=list)
    deleted_rules: list[str] = field(default_factory=list)


def copy_to_development(version: Version, *, user: Any = None) -> Restored:
    """Make development what ``version`` was; ``ImportRefused`` when it cannot (the data
    model changed since in a way its workflows do not fit): nothing is changed then."""
    source = f"version {version.number}"
    definition = version.definition
    report = import_definitions(
        [WorkflowFile(f"{source}.yaml", dump_yaml(dict(definition)))],
        user=user,
        audit_source=source,
    )
    restored = Restored(report)
    keep_workflows = {w.get("name") for w in definition.get("workflows") or ()}
    keep_rules = {rule_key(r) for r in definition.get("privacy_rules") or ()}
    with transaction.atomic():
        for workflow in Workflow.objects.exclude(name__in=keep_workflows).order_by("name"):
            before = audit.workflow_snapshot(workflow.pk)
            workflow.delete()
            audit.record_change(
                kind=audit.Kind.WORKFLOW,
                name=workflow.name,
                action=audit.Action.DELETED,
                before=before,
                after=None,
                user=user,
                source=source,
            )
            restored.deleted_workflows.append(workflow.name)
        for rule in PrivacyRule.objects.order_by("data_type", "name"):
            shown = rule_definition(rule)
            if rule_key(shown) in keep_rules:
                continue
            rule.delete()
            name = str(rule)  # as the audit trail names rules
            audit.record_change(
                kind=audit.Kind.PRIVACY_RULE,
                name=name,
                action=audit.Action.DELETED,
                before=shown,
                after=None,
                user=user,
                source=source,
            )
            restored.deleted_rules.append(name)
    return restored
