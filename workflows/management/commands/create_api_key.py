from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workflows.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label for the key (default: cli).")

    def handle(self, *args, username: str, name: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        api_key, key = api_key_create(user=user, name=name or "cli")
        self.stderr.write(f"API key {api_key.prefix} for {username} — shown once, store it safely:")
        self.stdout.write(key)
