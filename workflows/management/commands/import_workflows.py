"""``manage.py import_workflows FILE... [--dry-run] [--delete-missing-fields] [--deploy -m
MESSAGE]``: an all-or-nothing, idempotent import of option sets, data types, privacy rules
and workflows into development, and with ``--deploy`` a deploy of it (docs/versions.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.transfer import ImportRefused, import_definitions
from workflows.versions.deploy import DeployRefused, NothingToDeploy, deploy


class Command(BaseCommand):
    help = (
        "Create or update option sets, data types, privacy rules and workflows from YAML "
        "or JSON files (docs/import-export.md). All is validated first; any problem changes "
        "nothing. Importing the same file twice changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report; write nothing."
        )
        parser.add_argument(
            "--delete-missing-fields",
            action="store_true",
            help="Delete (restorably) the fields of a data type in the files that the files "
            "do not list; without it they are kept.",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="Whom the audit trail names as making the changes."
        )
        parser.add_argument(
            "--deploy",
            action="store_true",
            help="Then deploy development to live (needs -m); already live: nothing to do.",
        )
        parser.add_argument("-m", "--message", help="The deploy's message (with --deploy).")

    def handle(self, *args: Any, files: list[str], dry_run: bool, **options: Any) -> None:
        user = _user(options["user"]) if options["user"] else None
        if options["deploy"] and not options["message"]:
            raise CommandError('--deploy needs a message: -m "what this deploy is"')
        try:
            report = import_definitions(
                files,
                dry_run=dry_run,
                delete_missing_fields=options["delete_missing_fields"],
                user=user,
            )
        except ImportRefused as exc:
            count = len(exc.problems)
            raise CommandError(
                f"{exc.message}\n{count} problem{'s' * (count != 1)}; nothing was imported."
            ) from None
        lines = [
            *(("option set ", r) for r in report.option_sets),
            *(("data type ", r) for r in report.data_types),
            *(("", r) for r in report.results),
        ]
        width = max((len(r.status) for _, r in lines), default=0)
        for what, result in lines:
            self.stdout.write(f"{result.status:<{width}}  {what}{result.name}  ({result.file})")
            for note in result.notes:
                self.stdout.write(f"{'':<{width}}    {note}")
        self.stdout.write(report.summary() + ".")
        for advice in report.advice():
            self.stderr.write(f"warning: {advice}")
        if options["deploy"] and not dry_run:
            self._deploy(options["message"], user)

    def _deploy(self, message: str, user: Any) -> None:
        try:
            made = deploy(message=message, user=user)
        except NothingToDeploy as exc:
            self.stdout.write(exc.problems[0] + ".")
            return
        except DeployRefused as exc:
            raise CommandError(
                "imported into development, but the deploy was refused:\n" + "\n".join(exc.problems)
            ) from None
        self.stdout.write(f"Deployed version {made.number}: {message}")


def _user(username: str) -> Any:
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise CommandError(f"no user named {username!r}") from None
