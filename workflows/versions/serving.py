"""Which version serves a call or a run: live (the highest deployed number) or development.

Development is the rows the admin, the editor and imports change; a live version is a
deployed snapshot (``Version.definition``), compiled in each process the first time one of
its workflows or privacy rules is needed and kept: a version never changes, so nothing is
ever checked again, and finding the live number is one indexed query whatever the number
of versions kept. Before the first deploy there is no live version and development serves
every caller, as it did before versions existed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.compiler import CompiledWorkflow, compile_definition
from ..exceptions import ExpressionError, WorkflowError, WorkflowNotFound
from ..models import Version, Workflow
from ..privacy.definitions import rule_key
from ..privacy.rules import CompiledRule, InvalidRule, compile_rule
from ..statements import FirstValue
from .deploy import SnapshotCatalog
from .edition import Edition, current

#: deployed versions kept compiled per process (the live one, and runs pinned to older ones)
KEPT_VERSIONS = 4


#: read by every call and run (``FirstValue``)
_highest_number = FirstValue(
    Version, lambda: Version.objects.order_by("-number").values_list("number", flat=True)
)


def live_number() -> int | None:
    """The live version's number; None before the first deploy."""
    return _highest_number()


def live() -> Edition:
    """The live version (development's rows before the first deploy), its number read
    when first needed."""
    return Edition(resolve=live_number)


def pinned() -> CompiledVersion | None:
    """The deployed version in force, compiled; None when development's rows serve."""
    edition = current()
    if edition is None or edition.number is None:
        return None
    return compiled_version(edition.number)


@dataclass
class CompiledVersion:
    """One deployed version, compiled as its workflows and rules are asked for."""

    number: int
    definition: Mapping[str, Any]
    workflows: dict[str, CompiledWorkflow | None] = field(default_factory=dict)
    rules: dict[str, list[CompiledRule]] | None = None
    triggers: dict[tuple[str, str], list[str]] | None = None

    def workflow(self, name: str) -> CompiledWorkflow | None:
        """Its workflow ``name`` (None: the version has none). ``pk`` is development's
        workflow of that name, which its runs are linked to, or None."""
        if name not in self.workflows:
            self.workflows[name] = self._compile(name)
        return self.workflows[name]

    def exposed(self) -> list[CompiledWorkflow]:
        """Its exposed API workflows, by name; one that no longer compiles (the data
        model changed since) is left out: calling it answers its error."""
        found = []
        for definition in sorted(
            self.definition.get("workflows") or (), key=lambda w: str(w.get("name"))
        ):
            if definition.get("expose") and (definition.get("kind") or "api") == "api":
                try:
                    compiled = self.workflow(str(definition["name"]))
                except WorkflowError:
                    continue
                if compiled is not None:
                    found.append(compiled)
        return found

    def require(self, name: str) -> CompiledWorkflow:
        """Its workflow ``name``; ``WorkflowNotFound`` when it has none (made in
        development since, and not deployed yet)."""
        found = self.workflow(name)
        if found is None:
            raise WorkflowNotFound(
                f"workflow {name!r} is not in the live version {self.number}: deploy it first"
            )
        return found

    def _compile(self, name: str) -> CompiledWorkflow | None:
        from ..transfer import workflow_info

        definitions = [w for w in self.definition.get("workflows") or () if w.get("name")]
        found = next((w for w in definitions if w["name"] == name), None)
        if found is None:
            return None
        catalog = SnapshotCatalog({w["name"]: workflow_info(w) for w in definitions})
        compiled = compile_definition(found, catalog=catalog, check_error_workflow=False)
        compiled.pk = Workflow.objects.filter(name=name).values_list("pk", flat=True).first()
        compiled.version = ("version", self.number)
        return compiled

    def trigger_names(self, label: str, event: str) -> list[str]:
        """Its trigger workflows watching ``event`` on data type ``label``, by name: one
        development deleted since fires on until a deploy removes it (docs/versions.md)."""
        if self.triggers is None:
            watching: dict[tuple[str, str], list[str]] = {}
            for w in self.definition.get("workflows") or ():
                if w.get("kind") == "trigger":
                    on = w.get("on") or ()
                    for ev in [on] if isinstance(on, str) else on:
                        key = (str(w.get("data_type") or "").lower(), ev)
                        watching.setdefault(key, []).append(w["name"])
            self.triggers = watching
        return list(self.triggers.get((label.lower(), event), ()))

    def rules_for(self, label: str) -> list[CompiledRule]:
        """Its privacy rules of data type ``label``, the everyone-else rule last. A rule
        that no longer translates (its data type lost a field since) grants nothing, as a
        stored one does."""
        if self.rules is None:
            self.rules = self._compile_rules()
        return list(self.rules.get(label, ()))

    def _compile_rules(self) -> dict[str, list[CompiledRule]]:
        by_type: dict[str, list[CompiledRule]] = {}
        rules = [r for r in self.definition.get("privacy_rules") or () if isinstance(r, Mapping)]
        for rule in sorted(rules, key=lambda r: bool(r.get("everyone_else"))):
            try:
                compiled = compile_rule(
                    data_type=str(rule.get("data_type") or ""),
                    condition=str(rule.get("when") or ""),
                    everyone_else=bool(rule.get("everyone_else")),
                    view_all=rule.get("view") == "all",
                    view_fields=list(rule.get("view") or []) if rule.get("view") != "all" else [],
                    find_in_searches=bool(rule.get("find_in_searches")),
                    create_via_api=bool(rule.get("create_via_api")),
                    modify_via_api=bool(rule.get("modify_via_api")),
                    delete_via_api=bool(rule.get("delete_via_api")),
                    name=str(rule.get("name") or ""),
                )
            except (InvalidRule, ExpressionError):
                continue
            by_type.setdefault(rule_key(rule)[0], []).append(compiled)
        return by_type


_versions: OrderedDict[int, CompiledVersion] = OrderedDict()
_lock = threading.Lock()


def compiled_version(number: int) -> CompiledVersion:
    """Deployed version ``number``, compiled lazily and kept (the last ``KEPT_VERSIONS``
    used). ``Version.DoesNotExist`` for a number never deployed."""
    with _lock:
        found = _versions.get(number)
        if found is not None:
            _versions.move_to_end(number)
            return found
    definition = Version.objects.values_list("definition", flat=True).get(number=number)
    found = CompiledVersion(number, definition)
    with _lock:
        found = _versions.setdefault(number, found)
        _versions.move_to_end(number)
        while len(_versions) > KEPT_VERSIONS:
            _versions.popitem(last=False)
    return found


def relink() -> None:
    """Look up again development's rows the compiled versions of this process link their
    runs to (``CompiledWorkflow.pk``, found when first compiled): a workflow deleted in
    development since (it stays live until a deploy) has no row to link to, and one made
    again has a new one. Called when the database refused such a link."""
    with _lock:
        compiled = [c for v in _versions.values() for c in v.workflows.values() if c is not None]
    pks = dict(
        Workflow.objects.filter(name__in={c.name for c in compiled}).values_list("name", "pk")
    )
    for workflow in compiled:
        workflow.pk = pks.get(workflow.name)


def clear() -> None:
    """Forget every compiled version (tests: rolled-back rows may reuse numbers)."""
    with _lock:
        _versions.clear()


def find(name: str, kind: str | None = None) -> CompiledWorkflow | None:
    """Workflow ``name`` (of ``kind``, when given) as this call or run is served: from the
    pinned deployed version, or development's row; None when there is none."""
    return find_with_row(name, kind)[0]


def find_with_row(
    name: str, kind: str | None = None
) -> tuple[CompiledWorkflow | None, Workflow | None]:
    """``find``, and development's row it was compiled from when development serves
    (None when a deployed version does: its workflows are not rows)."""
    from ..engine.cache import development_compiled

    version = pinned()
    row = None
    if version is not None:
        found = version.workflow(name)
    else:
        row = Workflow.objects.filter(name=name).first()
        found = development_compiled(row) if row is not None else None
    if found is None or (kind is not None and found.kind != kind):
        return None, None
    return found, row
