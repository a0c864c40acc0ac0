"""``manage.py create_api_key USERNAME [--name] [--workflow NAME]... [--no-data-api]
[--expires ISO8601 | --expires-in DAYS]``: print a new key once (only its hash is stored)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from workflows.models import Workflow
from workflows.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label for the key (default: cli).")
        parser.add_argument(
            "--workflow",
            action="append",
            default=[],
            metavar="NAME",
            dest="workflows",
            help="Limit the key to this workflow (repeat for several). Default: any workflow.",
        )
        parser.add_argument(
            "--no-data-api",
            action="store_false",
            dest="allow_data_api",
            help="Refuse this key on the Data API (/api/1.1/obj/).",
        )
        expiry = parser.add_mutually_exclusive_group()
        expiry.add_argument(
            "--expires",
            metavar="ISO8601",
            help="When the key stops working, e.g. 2026-12-31 or 2026-12-31T18:00:00+01:00.",
        )
        expiry.add_argument(
            "--expires-in", type=int, metavar="DAYS", help="Stop working after this many days."
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        workflows = options["workflows"]
        missing = sorted(set(workflows) - set(Workflow.objects.values_list("name", flat=True)))
        if missing:
            raise CommandError(f"no workflow named {', '.join(map(repr, missing))}")
        expiry = _expiry(options["expires"], options["expires_in"])
        api_key, key = api_key_create(
            user=user,
            name=name or "cli",
            workflows=workflows,
            allow_data_api=options["allow_data_api"],
            expiry_date=expiry,
        )
        self.stderr.write(f"API key {api_key.prefix} for {username} — shown once, store it safely:")
        self.stdout.write(key)


def _expiry(expires: str | None, expires_in: int | None) -> datetime | None:
    """The expiry moment: an ISO 8601 date (midnight, local time) or datetime, or N days on."""
    if expires_in is not None:
        if expires_in < 1:
            raise CommandError("--expires-in: a whole number of days, at least 1")
        return timezone.now() + timedelta(days=expires_in)
    if not expires:
        return None
    try:
        moment = parse_datetime(expires)
        if moment is None and (day := parse_date(expires)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--expires: {expires!r} is not an ISO 8601 date or datetime")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment <= timezone.now():
        raise CommandError(f"--expires: {expires} is in the past")
    return moment
