from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Backend workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registering action types and expression functions happens on import.
        from . import actions, checks, engine  # noqa: F401
