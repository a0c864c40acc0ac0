"""``manage.py purge_user_tokens``: delete the user tokens that stopped working.

The scheduler does it every hour on its own (scheduler/housekeeping.py); this command is
for a deployment without a scheduler, or to do it now.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workflows.tokens import user_tokens_purge


class Command(BaseCommand):
    help = (
        "Delete user tokens that expired, went unused or were revoked more than "
        "BUBBLE_USER_TOKEN_KEEP seconds ago."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = user_tokens_purge()
        self.stdout.write(f"Deleted {count} user token(s) that stopped working.")
