from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Backend workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registering action types and expression functions happens on import.
        from . import actions, checks, engine  # noqa: F401
        from .engine.cache import connect_signals
        from .groups import create_missing_groups

        connect_signals()
        _follow_data_model()

        post_migrate.connect(create_missing_groups, sender=self, dispatch_uid="workflows.groups")

        # Every data type's admin page offers django-guardian's "Object permissions" page
        # (grants privacy rules count). The admin app's ready() ran autodiscover() before
        # this one when it comes first in INSTALLED_APPS; the check workflows.W010 names
        # any data type admin registered too late for this.
        from django.apps import apps

        if apps.is_installed("django.contrib.admin"):
            from .admin.object_permissions import add_object_permissions
            from .admin.users import check_user_emails_in_admin

            add_object_permissions()
            check_user_emails_in_admin()
            _show_runs_dashboard()


def _show_runs_dashboard() -> None:
    """The runs dashboard on the admin's index (``admin_site.DASHBOARDS``)."""
    from .admin_site import DASHBOARDS
    from .stats.dashboard import runs_dashboard

    if runs_dashboard not in DASHBOARDS:
        DASHBOARDS.append(runs_dashboard)


def _follow_data_model() -> None:
    """When this process builds its models of the data types defined without code again,
    what it derived from the old ones goes: data type labels, compiled workflows (their
    fields' kinds), privacy rules compiled to queries, the OpenAPI document, the options
    of option sets read so far."""
    from . import data_types
    from .api.schema import cache as schema_cache
    from .data_model import options, registry
    from .engine import cache as compiled
    from .privacy import rules

    for forget in (
        data_types.clear_cache,
        compiled.clear,
        rules.clear_cache,
        schema_cache.clear,
        options.clear,
    ):
        registry.on_rebuild(forget)
