"""``manage.py deploy -m MESSAGE [--version N] [--dry-run]``: make the development version
live as the next numbered version, or deploy version N again (a rollback), docs/versions.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.management.commands.import_workflows import _user
from workflows.models import Version
from workflows.versions import snapshot
from workflows.versions.commands import VersionOption
from workflows.versions.deploy import DeployRefused, deploy, live, problems


class Command(VersionOption, BaseCommand):
    help = (
        "Deploy the development version to live, as the next numbered version with its "
        "message (refused, naming them, when the development version has problems), or "
        "with --version N deploy version N again (a rollback: it becomes a new version)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-m", "--message", required=True, help="What this deploy is.")
        parser.add_argument(
            "--version", type=int, metavar="N", help="Deploy version N again (a rollback)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; deploy nothing."
        )
        parser.add_argument("--user", metavar="USERNAME", help="Who the version names as author.")

    def handle(self, *args: Any, message: str, version: int | None, **options: Any) -> None:
        restore = None
        if version is not None:
            restore = Version.objects.filter(number=version).first()
            if restore is None:
                raise CommandError(f"there is no version {version}")
        definition = restore.definition if restore is not None else snapshot.development()
        previous = live()
        changes = snapshot.changes_between(
            previous.definition if previous is not None else None, definition
        )
        if options["dry_run"]:
            found = problems(definition)
            for line in found:
                self.stderr.write(f"problem: {line}")
            for change in changes:
                self.stdout.write(change.label)
            self.stdout.write(
                f"{len(changes)} change{'s' * (len(changes) != 1)}"
                + (f"; refused: {len(found)} problem(s)" if found else "")
                + " (dry run: nothing deployed)"
            )
            return
        try:
            user = _user(options["user"]) if options["user"] else None
            made = deploy(message=message, user=user, restore=restore)
        except DeployRefused as exc:
            raise CommandError("deploy refused:\n" + "\n".join(exc.problems)) from None
        for change in changes:
            self.stdout.write(change.label)
        again = f" (version {made.restored_from} again)" if made.restored_from else ""
        self.stdout.write(f"Deployed version {made.number}{again}: {message}")
