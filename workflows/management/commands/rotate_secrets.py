"""``manage.py rotate_secrets``: re-encrypt every admin secret with the current first key.

Run it after putting a new key first in ``BUBBLE_SECRETS_KEY`` (``new,old``) or after
moving the old ``SECRET_KEY`` to ``SECRET_KEY_FALLBACKS``; then the old key can go.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from workflows import secrets


class Command(BaseCommand):
    help = "Re-encrypt every secret stored in the admin with the first configured key."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = secrets.reencrypt_all()
        except secrets.UnreadableSecret as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Re-encrypted {count} secret(s).")
