"""``manage.py import_bubble_app https://myapp.example.com``: bring a Bubble app over — its
data types, every row with its id, its users, its API workflows' shells — or, with
``--dry-run``, print the plan and write nothing (docs/coming-from-bubble.md, "Bring your
app over"). Exit status 0 only when every type's rows arrived."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bubble_import.discover import NoPlan, discover
from bubble_import.display import TOKEN_VARIABLE, describe, shown, summary
from bubble_import.lease import ImportBusy
from bubble_import.models import BubbleImport, ImportedType
from bubble_import.run import ImportNotPossible, Options, run, start_or_continue, stopped_import
from bubble_import.source import BubbleApp, Pacer, SourceError
from workflows.transfer import ImportRefused


class Command(BaseCommand):
    help = (
        "Bring a Bubble app over: its data types (from its Swagger file, else /api/1.1/meta, "
        "else the rows of --types), every row with its Bubble id, its users as accounts, "
        "its API workflows as shells to rebuild. --dry-run prints the plan and writes "
        "nothing. Sends only GET requests to Bubble. The Data API token comes from "
        f"{TOKEN_VARIABLE} or --token-file, never the command line. An import that stopped "
        "is continued by running the same command again."
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
        parser.add_argument("--report", help="Write the report (or the plan) as JSON to this file.")
        parser.add_argument(
            "--since-last",
            action="store_true",
            help="Copy only the rows changed since the previous import; report deleted ones.",
        )
        parser.add_argument(
            "--apply-deletions",
            action="store_true",
            help="With --since-last: delete here the rows deleted on Bubble.",
        )
        parser.add_argument(
            "--download-files",
            action="store_true",
            help="Copy files and images into this project's file storage.",
        )
        parser.add_argument(
            "--max-rps",
            type=float,
            default=None,
            help="At most this many requests a second to Bubble (default: no limit).",
        )
        parser.add_argument(
            "--pages-in-flight",
            type=int,
            default=4,
            help="Pages of 100 rows read at once (default 4).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["token"] is not None:
            raise CommandError(
                "--token: the token is never taken on the command line (it would stay in "
                f"the shell's history and the process list); set {TOKEN_VARIABLE} or use "
                "--token-file"
            )
        if options["apply_deletions"] and not options["since_last"]:
            raise CommandError("--apply-deletions goes with --since-last")
        if options["max_rps"] is not None and not options["max_rps"] > 0:
            raise CommandError("--max-rps: a number of requests a second, above 0")
        if not 1 <= options["pages_in_flight"] <= 32:
            raise CommandError("--pages-in-flight: from 1 to 32")
        types = [t.strip() for t in options["types"].split(",") if t.strip()]
        pacer = Pacer(options["max_rps"]) if options["max_rps"] else None
        try:
            app = BubbleApp(
                options["address"],
                token=_token(options),
                version_test=options["version_test"],
                pacer=pacer,
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        try:
            self._handle(app, types, options)
        finally:
            app.close()

    def _handle(self, app: BubbleApp, types: list[str], options: dict[str, Any]) -> None:
        stopped = None if options["dry_run"] else stopped_import(app)
        plan = None
        if stopped is None:
            try:
                plan, tried = discover(app, types)
            except (NoPlan, SourceError) as exc:
                raise CommandError(shown(str(exc))) from None
            for line in tried:
                self.stderr.write(shown(f"not used: {line}"))
            self.stdout.write(describe(plan, app.base))
        if options["dry_run"]:
            assert plan is not None
            _write_report(options, {"app": app.base, "dry_run": True, "plan": plan.as_json()})
            self.stdout.write("\nNothing was written (--dry-run).")
            return
        self.stdout.write("\nCopying rows")
        if stopped is not None:
            self.stdout.write(
                f"Continuing the import of {app.base} started at "
                f"{stopped.started_at:%Y-%m-%d %H:%M:%S} (it stopped before its end)"
            )
        try:
            bubble_import = start_or_continue(
                app,
                plan,
                Options(
                    address=options["address"],
                    version_test=options["version_test"],
                    types=types,
                    since_last=options["since_last"],
                    apply_deletions=options["apply_deletions"],
                    download_files=options["download_files"],
                    pages_in_flight=options["pages_in_flight"],
                    max_rps=options["max_rps"],
                ),
            )
            bubble_import = run(app, bubble_import, on_progress=self._progress)
        except (ImportNotPossible, ImportBusy) as exc:
            raise CommandError(str(exc)) from None
        except ImportRefused as exc:
            raise CommandError(shown(f"the data model could not be made: {exc}")) from None
        except SourceError as exc:
            raise CommandError(
                shown(f"{exc}; run the same command again to continue where it stopped")
            ) from None
        self.stdout.write(summary(bubble_import))
        _write_report(options, bubble_import.report)
        if bubble_import.status != BubbleImport.Status.FINISHED:
            sys.exit(1)

    def _progress(self, progress: ImportedType) -> None:
        total = progress.bubble_count if progress.bubble_count is not None else "?"
        self.stdout.write(shown(f"  {progress.bubble_name}: {progress.copied} of {total}"))


def _write_report(options: dict[str, Any], report: dict[str, Any]) -> None:
    if not options["report"]:
        return
    try:
        Path(options["report"]).write_text(json.dumps(report, indent=2), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--report: {exc.strerror}: {options['report']}") from None


def _token(options: dict[str, Any]) -> str:
    if options["token_file"]:
        try:
            return Path(options["token_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"--token-file: {exc.strerror}: {options['token_file']}") from None
        except UnicodeDecodeError:
            raise CommandError(f"--token-file: not a text file: {options['token_file']}") from None
    return os.environ.get(TOKEN_VARIABLE, "").strip()
