"""``manage.py import_things TYPE FILE [TYPE FILE ...]``: rows from CSV files, together."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.data_model.csv_io import ImportReport, Source, import_files


class Command(BaseCommand):
    help = (
        "Import things from CSV files, each into a data type: `import_things Lead leads.csv "
        "Company companies.csv`. Columns map to fields by name (Bubble's export headers "
        "too); files given together are imported in one transaction, rows first and links "
        "second, so they may refer to each other by unique id. A bad row is reported with "
        "its line and field, and then nothing is imported unless --keep-good-rows "
        "(docs/data-types.md#bringing-rows-csv). The exit status is 1 when a row was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "pairs", nargs="+", metavar="TYPE FILE", help="a data type and its CSV file, repeated"
        )
        parser.add_argument(
            "--keep-good-rows",
            action="store_true",
            help="Import the good rows when some are bad (the bad ones are listed).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report everything; write nothing."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="'HEADER=field'",
            help="Read the column HEADER into field (repeatable); 'HEADER=' skips the column.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Created By of the rows whose file has no Created By column.",
        )
        parser.add_argument(
            "--fire-triggers",
            action="store_true",
            help="Fire the 'created' database trigger events for the things imported.",
        )
        parser.add_argument(
            "--empty-missing-links",
            action="store_true",
            help="Leave empty a reference to a thing that is nowhere, instead of refusing its row.",
        )

    def handle(self, *args: Any, pairs: list[str], **options: Any) -> None:
        if len(pairs) % 2:
            raise CommandError("give a data type and a file, for each file: Lead leads.csv ...")
        sources = [Source(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
        report = import_files(
            sources,
            keep_good_rows=options["keep_good_rows"],
            user=_user(options["user"]) if options["user"] else None,
            dry_run=options["dry_run"],
            mapping=_mapping(options["map"]),
            fire_triggers=options["fire_triggers"],
            empty_missing_links=options["empty_missing_links"],
        )
        self._describe(report)
        if report.problems or report.errors:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())

    def _describe(self, report: ImportReport) -> None:
        for f in report.files:
            columns = ", ".join(
                name if header == name else f"{header} → {name}"
                for header, name in f.columns.items()
            )
            rows = f"{f.rows:,} row{'s' * (f.rows != 1)}"
            self.stdout.write(f"{f.file} → {f.data_type}: {rows}; columns: {columns}")
            if f.unknown:
                self.stderr.write(
                    f"warning: {f.file}: not imported, no such field: {', '.join(f.unknown)}"
                )
            if f.skipped:
                self.stderr.write(f"warning: {f.file}: not imported: {', '.join(f.skipped)}")
        for problem in report.problems:
            self.stderr.write(problem)
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors.not_kept:
            self.stderr.write(f"... and {report.errors.not_kept:,} more refused rows")


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        header, sep, field = pair.rpartition("=")
        if not sep or not header.strip():
            raise CommandError(f"--map {pair!r}: write it 'CSV header=field'")
        mapping[header.strip()] = field.strip()
    return mapping


def _user(username: str) -> Any:
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None
