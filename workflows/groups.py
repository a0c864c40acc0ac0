"""Ready-made admin groups, so giving someone the right part of the admin is one click.

Django permissions already separate the admin's jobs (``workflows.change_workflow`` edits a
workflow, ``workflows.view_run`` reads the Runs log, ``scheduler.change_scheduledrun``
cancels scheduled runs...); these groups bundle them:

* "Workflow editors": add, change, delete and view workflows, run them from the admin,
  read the Runs log and the definition history, edit privacy rules;
* "Run viewers": read the Runs log and the Scheduler;
* "Data model editors": define data types, their fields and option sets in the admin's
  Data section (``workflows.change_data_model``), and read the definition history. Editing
  a type's things is each type's own permissions (``things.add_t5``...), made with it:
  grant them per type;
* "Schedulers" (from the scheduler app): read the Scheduler, schedule, retry and cancel
  scheduled runs, and stop recurring events.

Other apps add their permissions and groups with ``extend_group`` (the scheduler does, in
``scheduler.groups``, so this app need not know its models). After every ``migrate`` the
groups that do not exist yet are created; groups that exist are left as the operator made
them. ``manage.py ensure_groups`` adds the documented permissions a group lacks
(``--reset``: exactly those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, router

WORKFLOW_EDITORS = "Workflow editors"
RUN_VIEWERS = "Run viewers"
DATA_MODEL_EDITORS = "Data model editors"
#: who makes development live (and deploys an earlier version again): kept apart from the
#: editors, so a team may have one person review and deploy what others edit
DEPLOYERS = "Deployers"

#: group name -> "app_label.codename" permissions
GROUPS: dict[str, set[str]] = {
    WORKFLOW_EDITORS: {
        "workflows.add_workflow",
        "workflows.change_workflow",
        "workflows.delete_workflow",
        "workflows.view_workflow",
        "workflows.run_workflow",
        "workflows.view_run",
        "workflows.view_definitionchange",
        "workflows.add_privacyrule",
        "workflows.change_privacyrule",
        "workflows.delete_privacyrule",
        "workflows.view_privacyrule",
        "workflows.view_version",
    },
    DEPLOYERS: {
        "workflows.view_version",
        "workflows.deploy_version",
        "workflows.view_workflow",
        "workflows.view_definitionchange",
    },
    RUN_VIEWERS: {"workflows.view_run"},
    DATA_MODEL_EDITORS: {
        "workflows.change_data_model",
        "workflows.view_datatype",
        "workflows.view_optionset",
        "workflows.view_definitionchange",
    },
}


def extend_group(name: str, *permissions: str) -> None:
    """Add permissions ("app_label.codename") to a documented group, creating the entry."""
    GROUPS.setdefault(name, set()).update(permissions)


@dataclass(frozen=True)
class GroupChange:
    name: str
    created: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def __str__(self) -> str:
        if self.created:
            return f"created {self.name!r} with {len(self.added)} permission(s)"
        parts = [f"+{p}" for p in self.added] + [f"-{p}" for p in self.removed]
        return f"{self.name!r}: {', '.join(parts) or 'unchanged'}"


def groups_ensure(
    *, update_existing: bool = True, reset: bool = False, using: str = DEFAULT_DB_ALIAS
) -> list[GroupChange]:
    """Create the missing groups; add (and with ``reset``, remove) permissions of the others.

    Permissions are created first, so this works straight after the first ``migrate``.
    """
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    changes = []
    for name, wanted in sorted(GROUPS.items()):
        group, created = Group.objects.using(using).get_or_create(name=name)
        if not created and not update_existing:
            continue
        wanted_perms = _permissions(wanted, using)
        current = {_label(p): p for p in group.permissions.select_related("content_type")}
        added = sorted(set(wanted_perms) - set(current))
        removed = sorted(set(current) - set(wanted_perms)) if reset else []
        group.permissions.add(*(wanted_perms[label] for label in added))
        group.permissions.remove(*(current[label] for label in removed))
        changes.append(GroupChange(name, created, tuple(added), tuple(removed)))
    return changes


def create_missing_groups(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``post_migrate`` receiver: make the groups that do not exist; leave the others."""
    if router.allow_migrate_model(using, Group):
        groups_ensure(update_existing=False, using=using)


def _permissions(labels: set[str], using: str) -> dict[str, Permission]:
    found = {}
    for label in labels:
        app_label, codename = label.split(".", 1)
        perm = (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .select_related("content_type")
            .first()
        )
        if perm is not None:  # an app left out of INSTALLED_APPS
            found[label] = perm
    return found


def _label(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"
