"""The "Definition changes" page: the audit trail of workflows, rules and secrets, read-only.

Who, when, from where (admin, import...), and what: the detail page shows a unified diff of
the definition before and after, as YAML (the format builders already read in exports).
"""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from ..models import DefinitionChange
from ..yaml_loader import dump_yaml
from .runs import ReadOnlyMixin


def definition_diff(change: DefinitionChange) -> list[str]:
    """The unified diff (YAML) from ``before`` to ``after``; every line of the side that
    exists for a creation or a deletion."""
    before = _yaml_lines(change.before)
    after = _yaml_lines(change.after)
    return list(
        difflib.unified_diff(before, after, "before", "after", n=3, lineterm=""),
    )


def _yaml_lines(data: Any) -> list[str]:
    return dump_yaml(data).splitlines() if data is not None else []


def _line_class(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "diff-meta"
    return {"+": "diff-added", "-": "diff-removed"}.get(line[:1], "diff-context")


@admin.register(DefinitionChange)
class DefinitionChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "name", "action", "who", "source")
    list_filter = ("kind", "action", "source", ("at", admin.DateFieldListFilter))
    search_fields = ("name", "username")
    search_help_text = "A workflow's or rule's name, or a username."
    list_select_related = ("user",)
    show_full_result_count = False
    ordering = ("-at", "-id")
    list_per_page = 50
    fields = ("at", "kind", "name", "action", "who", "source", "diff")
    readonly_fields = fields

    class Media:
        css = {"all": ("workflows/audit.css",)}

    def get_actions(self, request: Any) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="who", ordering="username")
    def who(self, obj: DefinitionChange) -> str:
        return obj.username or "(no user: command line or code)"

    @admin.display(description="what changed")
    def diff(self, obj: DefinitionChange) -> Any:
        return diff_html(definition_diff(obj))


def diff_html(lines: list[str]) -> Any:
    """A unified diff's lines as a ``<pre>``, added and removed lines marked ("-" for none)."""
    if not lines:
        return "-"
    rows = format_html_join(
        "", '<span class="{}">{}</span>', [(_line_class(line), line) for line in lines]
    )
    return format_html('<pre class="definition-diff">{}</pre>', rows)
