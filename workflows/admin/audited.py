"""One way for admin pages of definitions (workflows, privacy rules, secrets) to write the
audit trail: subclasses say what kind of definition and what a snapshot of one is."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .. import audit


class AuditedAdminMixin:
    """Mix into a ``ModelAdmin`` (before it): deletions are recorded here; saves call
    ``record_change`` with the snapshots they took before and after."""

    audit_kind: ClassVar[str]

    def audit_name(self, obj: Model) -> str:
        return str(obj)

    def audit_snapshot(self, obj: Model) -> dict[str, Any] | None:
        raise NotImplementedError

    def record_change(
        self,
        request: HttpRequest,
        *,
        name: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        audit.record_change(
            kind=self.audit_kind,
            name=name,
            action=action,
            before=before,
            after=after,
            user=request.user,
            source="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        name, before = self.audit_name(obj), self.audit_snapshot(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        self.record_change(
            request, name=name, action=audit.Action.DELETED, before=before, after=None
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        gone = [(self.audit_name(obj), self.audit_snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for name, before in gone:
            self.record_change(
                request, name=name, action=audit.Action.DELETED, before=before, after=None
            )
