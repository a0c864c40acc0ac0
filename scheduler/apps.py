from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "scheduler"
    verbose_name = "Scheduler"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from workflows.engine import compiler

        from . import actions, groups, signals, triggers  # noqa: F401  (registers actions)
        from .frequency import next_occurrences, validate_schedule

        if validate_schedule not in compiler.schedule_validators:
            compiler.schedule_validators.append(validate_schedule)
        compiler.recurrence = next_occurrences
        triggers.connect()
        signals.connect()
        groups.register()
        self._link_runs_log()
        self._add_page_tools()
        self._describe_api()
        self._show_on_dashboard()
        self._run_error_workflows()

    @staticmethod
    def _link_runs_log() -> None:
        from workflows.admin import runs

        from .run_links import scheduler_links

        if scheduler_links not in runs.RUN_LINKS:
            runs.RUN_LINKS.append(scheduler_links)

    @staticmethod
    def _show_on_dashboard() -> None:
        from workflows.stats import dashboard

        from .dashboard import scheduler_panel

        if scheduler_panel not in dashboard.PANELS:
            dashboard.PANELS.append(scheduler_panel)

    @staticmethod
    def _add_page_tools() -> None:
        from workflows.admin import editor

        from .admin_schedule import schedule_tool

        if schedule_tool not in editor.PAGE_TOOLS:
            editor.PAGE_TOOLS.append(schedule_tool)

    @staticmethod
    def _run_error_workflows() -> None:
        from workflows import failures

        from .error_workflows import schedule_error_workflow

        if schedule_error_workflow not in failures.error_workflow_runners:
            failures.error_workflow_runners.append(schedule_error_workflow)

    @staticmethod
    def _describe_api() -> None:
        from .api import schema

        schema.register()  # /schedule per workflow, the scheduled runs' endpoints
