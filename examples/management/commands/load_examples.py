"""``manage.py load_examples [--reset]``: the example workflows and sample data (``make run``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from examples.services import examples_load
from workflows.models import Version
from workflows.transfer import ImportRefused, ImportStatus
from workflows.versions.deploy import DeployRefused, deploy


class Command(BaseCommand):
    help = (
        "Load the example workflows (examples/workflows/*.yaml) and sample data. Safe to "
        "run again: nothing is duplicated and example workflows edited in the admin are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also restore example workflows that were edited since they were loaded.",
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        try:
            report = examples_load(reset=reset)
        except ImportRefused as exc:
            raise CommandError(f"the example workflows do not validate:\n{exc.message}") from None
        for result in report.workflows.results:
            if result.status == ImportStatus.KEPT:
                self.stdout.write(
                    f"  kept     {result.name} (edited since it was loaded; --reset restores it)"
                )
            elif result.status != ImportStatus.UNCHANGED:
                self.stdout.write(f"  {result.status:<8} {result.name}")
        self.stdout.write(f"Example workflows: {report.workflows.summary()}.")
        for line in report.created:
            self.stdout.write(f"  created  {line}")
        if report.created:
            self.stdout.write(f"Sample data: {len(report.created)} created.")
        else:
            self.stdout.write("Sample data: already there.")
        if not Version.objects.exists():  # a new project starts with a live version
            try:
                made = deploy(message="The examples, as load_examples loaded them")
            except DeployRefused as exc:
                self.stderr.write("Not deployed: " + "; ".join(exc.problems))
            else:
                self.stdout.write(
                    f"Deployed version {made.number}: from now on edits change development "
                    "(try them at /version-test/api/1.1/wf/<name>) and a deploy makes them "
                    "live (docs/versions.md)."
                )
