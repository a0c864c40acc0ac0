"""``manage.py export_things TYPE [-o FILE]``: a data type's things as CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.data_model.csv_io import export_csv
from workflows.exceptions import WorkflowError


class Command(BaseCommand):
    help = (
        "Write every thing of a data type as CSV, with a header row in Bubble's style "
        "(fields by name, then Created Date, Modified Date, Created By, unique id), "
        "references as unique ids and lists comma-separated: import_things reads it back "
        "(docs/data-types.md#bringing-rows-csv)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("data_type", metavar="TYPE")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write here (default: stdout).")

    def handle(self, *args: Any, data_type: str, output: str | None, **options: Any) -> None:
        try:
            if output:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = export_csv(data_type, out)
                self.stderr.write(f"{count:,} things written to {output}")
            else:
                export_csv(data_type, self.stdout)
        except WorkflowError as exc:
            raise CommandError(exc.message) from None
