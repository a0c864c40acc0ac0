"""``manage.py import_bubble_app https://myapp.example.com --dry-run``: the plan of bringing
a Bubble app over (docs/coming-from-bubble.md, "Bring your app over")."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bubble_import.discover import NoPlan, discover
from bubble_import.plan import Plan
from bubble_import.source import BubbleApp, SourceError

TOKEN_VARIABLE = "BUBBLE_SOURCE_API_TOKEN"  # noqa: S105 - the name of a variable


class Command(BaseCommand):
    help = (
        "Read a Bubble app's data model and API workflows (its Swagger file, else "
        "/api/1.1/meta, else the rows of --types) and print the plan: data types, each "
        "field's type and why, workflows. Sends only GET requests to Bubble. The Data API "
        f"token comes from {TOKEN_VARIABLE} or --token-file, never the command line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", help="The Bubble app's address: https://myapp.example.com")
        parser.add_argument(
            "--version-test", action="store_true", help="Read the development version."
        )
        parser.add_argument(
            "--token-file", help=f"A file holding the Data API token (else {TOKEN_VARIABLE})."
        )
        parser.add_argument("--token", help="Refused: the token never goes on the command line.")
        parser.add_argument(
            "--types",
            default="",
            help="The types to copy, by their names in Bubble's URLs: a,b,c (all when empty).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the plan and write nothing."
        )
        parser.add_argument("--report", help="Write the plan as JSON to this file too.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["token"] is not None:
            raise CommandError(
                "--token: the token is never taken on the command line (it would stay in "
                f"the shell's history and the process list); set {TOKEN_VARIABLE} or use "
                "--token-file"
            )
        if not options["dry_run"]:
            raise CommandError(
                "only --dry-run is available in this version: it prints the plan and writes "
                "nothing; making the data types and copying the rows come next "
                "(docs/coming-from-bubble.md)"
            )
        types = [t.strip() for t in options["types"].split(",") if t.strip()]
        try:
            app = BubbleApp(
                options["address"], token=_token(options), version_test=options["version_test"]
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        try:
            plan, tried = discover(app, types)
        except (NoPlan, SourceError) as exc:
            raise CommandError(shown(str(exc))) from None
        finally:
            app.close()
        for line in tried:
            self.stderr.write(shown(f"not used: {line}"))
        self.stdout.write(describe(plan, app.base))
        if options["report"]:
            report = {"app": app.base, "dry_run": True, "plan": plan.as_json()}
            try:
                Path(options["report"]).write_text(json.dumps(report, indent=2), encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--report: {exc.strerror}: {options['report']}") from None
        self.stdout.write("\nNothing was written (--dry-run).")


def _token(options: dict[str, Any]) -> str:
    if options["token_file"]:
        try:
            return Path(options["token_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"--token-file: {exc.strerror}: {options['token_file']}") from None
        except UnicodeDecodeError:
            raise CommandError(f"--token-file: not a text file: {options['token_file']}") from None
    return os.environ.get(TOKEN_VARIABLE, "").strip()


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
