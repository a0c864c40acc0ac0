"""How a plan and an import's report read, on a terminal and in the admin: every text that
came from the Bubble app is shown safely (``shown``)."""

from __future__ import annotations

import json

from .models import BubbleImport
from .plan import Plan

#: where the command and the admin take the Data API token from
TOKEN_VARIABLE = "BUBBLE_SOURCE_API_TOKEN"  # noqa: S105 - the name of a variable


SOURCES = {
    "swagger": "its Swagger file",
    "meta": "/api/1.1/meta",
    "rows": "the values of its rows (--types)",
}


def shown(text: str) -> str:
    """``text`` from the Bubble app, safe on a terminal: control characters (escape
    sequences a hostile app could send) as ``\\x1b``-style escapes."""
    return "".join(
        c if c.isprintable() or c == "\n" else c.encode("unicode_escape").decode() for c in text
    )


def describe(plan: Plan, base: str) -> str:
    """The plan as a table an operator reads (what the app sent, ``shown`` safely)."""
    lines = [f"Plan for {base}, read from {SOURCES[plan.source]}", ""]
    lines.append(f"Data types ({len(plan.types)})")
    for typed in plan.types:
        made = "user accounts" if typed.users else f"data type {typed.name}, at {typed.path}"
        lines.append(f"  {typed.bubble_name} → {made}")
        width = max([len(f.key) for f in typed.fields] + [4])
        for f in typed.fields:
            lines.append(f"    {f.key:<{width}}  {f.name:<20}  {f.describe():<24}  {f.why}")
    lines += ["", f"API workflows ({len(plan.workflows)}): shells, to rebuild in the editor"]
    for shell in plan.workflows:
        parameters = ", ".join(
            f"{p.key}: {p.describe()}" + ("" if p.required else " (optional)")
            for p in shell.parameters
        )
        lines.append(f"  {shell.name}({parameters})")
    if plan.option_candidates:
        lines += [
            "",
            "Option-set candidates (text fields with few distinct values in the rows read)",
        ]
        lines += [f"  {c.data_type}.{c.key}: {', '.join(c.values)}" for c in plan.option_candidates]
    if plan.not_mapped:
        lines += ["", f"Not mapped ({len(plan.not_mapped)})"]
        lines += [f"  {item.where}: {item.why}" for item in plan.not_mapped]
    if plan.notes:
        lines += ["", "Notes"] + [f"  {note}" for note in plan.notes]
    return "\n".join(shown(line) for line in lines)


def summary(bubble_import: BubbleImport) -> str:
    """The report as an operator reads it at the end of the command."""
    report = bubble_import.report
    lines = ["", f"Import of {bubble_import.app}: {bubble_import.get_status_display()}", ""]
    lines.append(f"  {'type':<20} {'on Bubble':>10} {'copied':>10} {'here':>10}")
    for t in report["types"]:
        mark = "" if t["complete"] else "   <- not every row arrived"
        lines.append(
            f"  {t['bubble_name']:<20} {t['bubble_count'] or 0:>10} {t['copied']:>10} "
            f"{t['here'] or 0:>10}{mark}"
        )
    problems = report["problems"]
    for key, title in (
        ("refused_rows", "Rows refused"),
        ("values_not_kept", "Values not kept"),
        ("missing_links", "Links to rows that no longer exist (left out)"),
        ("users", "Users"),
    ):
        listed = problems[key]
        if listed["count"]:
            lines += ["", f"{title} ({listed['count']})"]
            first = listed["first"][:20]
            lines += [f"  {json.dumps(entry, ensure_ascii=False)}" for entry in first]
    if report.get("deleted"):
        applied = report["deleted"]["applied"]
        verb = "deleted here" if applied else "not deleted here (--apply-deletions)"
        for t in report["deleted"]["types"]:
            if t["count"]:
                lines.append(f"  {t['type']}: {t['count']} rows deleted on Bubble, {verb}")
    if report["workflows_to_build"]:
        lines += ["", "API workflows to rebuild in the editor (their shells are in development):"]
        lines += [f"  {name}" for name in report["workflows_to_build"]]
    if report["users"]["accounts"] is not None:
        users = report["users"]
        lines += ["", f"User accounts: {users['accounts']}. {users['passwords']}"]
    return "\n".join(shown(line) for line in lines)
