"""Scheduled runs and recurring events counted by workflow, named as pages show them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from workflows.models import Workflow

from .models import deleted_label


def count_by_workflow(counts: Sequence[tuple[int | None, str, int]]) -> list[tuple[str, int]]:
    """``(workflow id, kept name, count)`` rows → ``(name, count)``, most first: the name
    of development's workflow, or "<kept name> (deleted)" for rows whose workflow was
    deleted in development (``KeepsWorkflowName``). One query for the names."""
    ids = {pk for pk, _, _ in counts if pk is not None}
    names = dict(Workflow.objects.filter(pk__in=ids).values_list("pk", "name"))
    named: Counter[str] = Counter()
    for pk, kept, count in counts:
        named[names[pk] if pk in names else deleted_label(kept)] += count
    return sorted(named.items(), key=lambda item: (-item[1], item[0]))
