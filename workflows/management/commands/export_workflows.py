"""``manage.py export_workflows [-o FILE] [--format yaml|json] [--version N] [NAME ...]``: a
workflow file of development, or of deployed version N (docs/import-export.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows import yaml_loader
from workflows.exceptions import WorkflowError
from workflows.models import Version
from workflows.transfer import export_definitions
from workflows.versions.commands import VersionOption


class Command(VersionOption, BaseCommand):
    help = (
        "Write workflows as a YAML (or JSON) file that import_workflows reads back: all "
        "of them with the privacy rules, option sets and data types, or the workflows "
        "named. To standard output unless -o is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", metavar="NAME", help="Workflows to export.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE.")
        parser.add_argument(
            "--version",
            type=int,
            metavar="N",
            help="Export deployed version N (docs/versions.md), not development.",
        )
        parser.add_argument(
            "--format",
            choices=("yaml", "json"),
            help="Default: json for a FILE ending in .json, else yaml.",
        )

    def handle(self, *args: Any, names: list[str], output: str | None, **options: Any) -> None:
        fmt = options["format"] or (
            "json" if output and output.lower().endswith(".json") else "yaml"
        )
        try:
            if options["version"] is not None:
                document = version_document(options["version"], names)
            else:
                document = export_definitions(names)
        except WorkflowError as exc:
            raise CommandError(exc.message) from None
        text = yaml_loader.dump_json(document) if fmt == "json" else yaml_loader.dump_yaml(document)
        if not output:
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        counts = [
            f"{len(document[key])} {what}{'s' * (len(document[key]) != 1)}"
            for key, what in (
                ("option_sets", "option set"),
                ("data_types", "data type"),
                ("workflows", "workflow"),
            )
            if key in document
        ]
        self.stderr.write(f"Exported {', '.join(counts)} to {output}.")


def version_document(number: int, names: list[str]) -> dict[str, Any]:
    """Deployed version ``number`` as a file (only the workflows ``names``, if given)."""
    found = Version.objects.filter(number=number).first()
    if found is None:
        raise CommandError(f"there is no version {number}")
    document = dict(found.definition)
    if names:
        workflows = [w for w in document.get("workflows") or () if w.get("name") in names]
        missing = sorted(set(names) - {w["name"] for w in workflows})
        if missing:
            raise CommandError(f"version {number} has no workflow named {', '.join(missing)}")
        document = {"version": document.get("version"), "workflows": workflows}
    return document
