"""What an import could not bring over exactly, row by row, for its report: rows refused,
values not kept, links to rows that no longer exist, users' notes. Each list keeps its
first ``KEPT`` entries and counts them all; it is saved with each page written (an import
that continues after a kill keeps what was found before)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .models import BubbleImport

#: entries kept per list (the counts go on)
KEPT = 200


@dataclass
class Listed:
    count: int = 0
    first: list[dict[str, Any]] = field(default_factory=list)

    def add(self, entry: dict[str, Any]) -> None:
        self.count += 1
        if len(self.first) < KEPT:
            self.first.append(entry)


@dataclass
class Problems:
    refused_rows: Listed = field(default_factory=Listed)
    values_not_kept: Listed = field(default_factory=Listed)
    missing_links: Listed = field(default_factory=Listed)
    users: Listed = field(default_factory=Listed)

    @classmethod
    def of(cls, bubble_import: BubbleImport) -> Problems:
        saved = (bubble_import.report or {}).get("problems") or {}
        return cls(**{k: Listed(**saved[k]) for k in asdict(cls()) if k in saved})

    def save(self, bubble_import: BubbleImport) -> None:
        bubble_import.report = {**(bubble_import.report or {}), "problems": asdict(self)}
        BubbleImport.objects.filter(pk=bubble_import.pk).update(report=bubble_import.report)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    # what the copy calls, one per kind

    def refused_row(self, bubble_name: str, unique_id: str, why: str) -> None:
        self.refused_rows.add({"type": bubble_name, "id": unique_id, "why": why})

    def value_not_kept(self, bubble_name: str, unique_id: str, key: str, why: str) -> None:
        self.values_not_kept.add({"type": bubble_name, "id": unique_id, "field": key, "why": why})

    def missing_link(self, bubble_name: str, unique_id: str, key: str, missing: str) -> None:
        self.missing_links.add(
            {"type": bubble_name, "id": unique_id, "field": key, "missing": missing}
        )
