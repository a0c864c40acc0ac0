"""Rows deleted on Bubble since the previous import (``--since-last``): every Bubble id of
each type is read again (Bubble's Data API can list what exists, not what went) and the
rows here that came from the earlier import — made before it started — but are no longer
on Bubble are reported; with ``--apply-deletions`` they are deleted here, and users'
accounts are deactivated (an account is never deleted by an import: its runs and tokens
stay readable)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from workflows.models import UserUniqueId

from . import lease
from .copying import pages
from .models import BubbleImport
from .problems import KEPT
from .source import BubbleApp
from .targets import Target

#: rows deleted per statement
BATCH = 500


def find_deleted(
    app: BubbleApp, bubble_import: BubbleImport, targets: list[Target], *, apply: bool
) -> dict[str, Any]:
    """The rows gone from Bubble, per type; deleted here when ``apply``."""
    since = bubble_import.since
    assert since is not None
    found: dict[str, Any] = {"applied": apply, "types": []}
    in_flight = int(bubble_import.options.get("pages_in_flight") or 4)
    for target in targets:
        name = target.typed.bubble_name
        on_bubble: set[str] = set()
        for page in pages(app, name, 0, in_flight, None):
            on_bubble.update(r["_id"] for r in page.results if isinstance(r.get("_id"), str))
            lease.beat(bubble_import)
        gone = sorted(set(_earlier_ids(target, since)) - on_bubble)
        if apply:
            _apply(target, gone)
        found["types"].append({"type": name, "count": len(gone), "ids": gone[:KEPT]})
    return found


def _earlier_ids(target: Target, since: Any) -> Any:
    if target.typed.users:
        return UserUniqueId.objects.filter(user__date_joined__lte=since).values_list(
            "unique_id", flat=True
        )
    assert target.model is not None
    rows = target.model._default_manager.filter(created_date__lte=since)
    return rows.values_list("unique_id", flat=True).iterator()


def _apply(target: Target, gone: list[str]) -> None:
    for start in range(0, len(gone), BATCH):
        chunk = gone[start : start + BATCH]
        if target.model is not None:
            target.model._default_manager.filter(unique_id__in=chunk).delete()
        if target.typed.users:  # never a staff account: an app must not lock admins out
            accounts = get_user_model()._default_manager.filter(
                bubble_unique_id__unique_id__in=chunk
            )
            if hasattr(get_user_model(), "is_staff"):
                accounts = accounts.filter(is_staff=False, is_superuser=False)
            accounts.update(is_active=False)
