"""System checks for misconfiguration (``manage.py check`` shows them)."""

from __future__ import annotations

import ipaddress

from django.apps import apps
from django.core.checks import Error, Warning, register

from . import conf, data_types


@register()
def check_data_types(app_configs, **kwargs):
    problems = []
    for label in conf.get("DATA_TYPES"):
        try:
            apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(
                Error(
                    f"BUBBLE_DATA_TYPES names {label!r}, which is not an installed model.",
                    hint="Use app_label.ModelName, comma-separated, e.g. auth.User,shop.Order.",
                    id="workflows.E001",
                )
            )
    return problems


@register()
def check_settings(app_configs, **kwargs):
    problems = []
    if not isinstance(conf.get("SETTINGS"), dict):
        problems.append(
            Error(
                "BUBBLE_SETTINGS must be a JSON object of names to values.",
                id="workflows.E002",
            )
        )
    if conf.get("MAX_DEPTH") < 1:
        problems.append(
            Warning("BUBBLE_MAX_DEPTH below 1 refuses every nested run.", id="workflows.W001")
        )
    return problems


@register()
def check_http_networks(app_configs, **kwargs):
    """An invalid CIDR would otherwise fail every http_request at run time."""
    problems = []
    for network in conf.get("HTTP_ALLOWED_NETWORKS"):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            problems.append(
                Error(
                    f"BUBBLE_HTTP_ALLOWED_NETWORKS names {network!r}, which is not a network.",
                    hint="Use comma-separated CIDRs, e.g. 10.1.2.0/24,fd00::/8.",
                    id="workflows.E003",
                )
            )
    return problems


@register()
def check_throttle_rates(app_configs, **kwargs):
    """A malformed BUBBLE_THROTTLE_* rate would otherwise fail every API request."""
    from .api.throttling import rate_problems

    hint = "Use N/s, N/min, N/hour or N/day; 0 or empty turns it off."
    return [Error(problem, hint=hint, id="workflows.E010") for problem in rate_problems()]


@register()
def check_login_throttle_rates(app_configs, **kwargs):
    """A malformed BUBBLE_THROTTLE_LOGIN_* or _RESET_* rate would otherwise fail every
    log-in or password reset email."""
    from .accounts import rate_problems

    hint = "Use N/s, N/min, N/hour or N/day; 0 or empty turns it off."
    return [Error(problem, hint=hint, id="workflows.E011") for problem in rate_problems()]


@register()
def check_object_permissions_admin(app_configs, **kwargs):
    """A data type's admin page must offer guardian's "Object permissions" page (privacy
    grants are managed there); ``WorkflowsConfig.ready()`` adds it to every admin
    registered by then, so this only fires for one registered later."""
    if not apps.is_installed("django.contrib.admin"):
        return []
    from .admin.object_permissions import missing_object_permissions

    return [
        Warning(
            f"The admin of data type {data_types.label_of(model)} has no object permissions "
            "page, so its privacy grants cannot be managed from the admin.",
            hint="Register it before the workflows app is ready (put django.contrib.admin "
            "before workflows in INSTALLED_APPS), use guardian's GuardedModelAdmin, or call "
            "workflows.admin.object_permissions.add_object_permissions() after registering.",
            id="workflows.W010",
        )
        for model in missing_object_permissions()
    ]


@register()
def check_history_and_alert_settings(app_configs, **kwargs):
    """A malformed BUBBLE_RUN_RETENTION, BUBBLE_FAILED_RUN_RETENTION or BUBBLE_ALERT_*
    would otherwise stop the pruning of run history, or every failure email, with only a
    line in the log."""
    from .alerts import limits
    from .durations import FORMS
    from .retention import retention

    problems = []
    for read in (retention, limits):
        try:
            read()
        except ValueError as exc:
            hint = (
                f"Durations: {FORMS}; a retention may also be 'forever'. "
                "BUBBLE_ALERT_FAILURES: a whole number (0: no emails about failing workflows)."
            )
            problems.append(Error(str(exc), hint=hint, id="workflows.E012"))
    return problems
