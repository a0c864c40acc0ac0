"""``manage.py ensure_groups [--reset]``: the ready-made admin groups, with their permissions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workflows.groups import groups_ensure


class Command(BaseCommand):
    help = (
        'Create the groups "Workflow editors", "Run viewers", "Schedulers" and "Data model '
        'editors" and give them the permissions they lack (docs/security.md). Permissions '
        "added by hand are kept "
        "unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also remove permissions that are not in the documented set.",
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        for change in groups_ensure(reset=reset):
            self.stdout.write(str(change))
