from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Backend workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registering action types and expression functions happens on import.
        from . import actions, checks, engine  # noqa: F401
        from .groups import create_missing_groups

        post_migrate.connect(create_missing_groups, sender=self, dispatch_uid="workflows.groups")
