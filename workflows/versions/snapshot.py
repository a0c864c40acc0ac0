"""The whole backend as plain data (a definition file's), and what changed between two.

A snapshot is what ``export_workflows`` writes with no names: option sets, data types,
workflows and privacy rules. A deployed version keeps one (``Version.definition``); the
differences between two are computed from them when asked, so the list of changes and the
text diffs shown always agree with what was deployed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import DefinitionChange
from ..yaml_loader import dump_yaml

Kind = DefinitionChange.Kind
Action = DefinitionChange.Action

#: the snapshot's sections, in the order a definition file has them, and their kind
SECTIONS: tuple[tuple[str, str], ...] = (
    ("option_sets", Kind.OPTION_SET),
    ("data_types", Kind.DATA_TYPE),
    ("workflows", Kind.WORKFLOW),
    ("privacy_rules", Kind.PRIVACY_RULE),
)


def development() -> dict[str, Any]:
    """The development version as it is now: every option set, data type, workflow and
    privacy rule."""
    from ..transfer import export_definitions

    return export_definitions()


def item_name(section: str, item: Mapping[str, Any]) -> str:
    """What names one item of a section: a rule by its data type and name."""
    if section == "privacy_rules":
        rule = "everyone else" if item.get("everyone_else") else str(item.get("name") or "")
        return f"{item.get('data_type', '')}: {rule}"
    return str(item.get("name") or "")


def items(snapshot: Mapping[str, Any] | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    """``(kind, name) → definition`` of every item of ``snapshot``."""
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for section, kind in SECTIONS:
        for item in (snapshot or {}).get(section) or ():
            if isinstance(item, Mapping):
                found[(kind, item_name(section, item))] = item
    return found


@dataclass(frozen=True)
class Change:
    """One item created, changed or deleted between two snapshots."""

    kind: str
    name: str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def label(self) -> str:
        """``Workflow process-order changed``."""
        return f"{Kind(self.kind).label} {self.name} {self.action}"

    def as_record(self) -> dict[str, str]:
        """What a version keeps of it (the definitions are in the snapshots)."""
        return {"kind": str(self.kind), "name": self.name, "action": str(self.action)}

    def text_diff(self) -> str:
        """A unified diff of the two definitions as YAML (``-`` before, ``+`` after)."""
        before = dump_yaml(dict(self.before)).splitlines() if self.before else []
        after = dump_yaml(dict(self.after)).splitlines() if self.after else []
        return "\n".join(difflib.unified_diff(before, after, "before", "after", lineterm="", n=2))


def changes_between(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[Change]:
    """What ``after`` creates, changes and deletes against ``before``, section by section
    in a file's order, by name within each."""
    old, new = items(before), items(after)
    order = {kind: i for i, (_, kind) in enumerate(SECTIONS)}
    keys = sorted(old.keys() | new.keys(), key=lambda k: (order[k[0]], k[1]))
    return list(_changes(keys, old, new))


def _changes(
    keys: list[tuple[str, str]],
    old: Mapping[tuple[str, str], Mapping[str, Any]],
    new: Mapping[tuple[str, str], Mapping[str, Any]],
) -> Iterator[Change]:
    for kind, name in keys:
        was, now = old.get((kind, name)), new.get((kind, name))
        if was is None:
            yield Change(kind, name, Action.CREATED, None, now)
        elif now is None:
            yield Change(kind, name, Action.DELETED, was, None)
        elif _plain(was) != _plain(now):
            yield Change(kind, name, Action.CHANGED, was, now)


def _plain(value: Any) -> Any:
    """Compared as JSON would be: a tuple and a list with the same items are equal."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
