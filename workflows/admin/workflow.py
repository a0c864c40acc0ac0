"""The backend workflow editor's admin: the workflows list, and one editor page per
workflow (``editor.WorkflowEditorMixin``: the admin's add and change views).

The editor sends the whole workflow as one definition; it is saved only when the whole
definition compiles, with its audit record (``workflows.editor.saving``). Deletions are
recorded in the audit trail too (``AuditedAdminMixin``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from .. import audit
from ..models import Workflow
from .audited import AuditedAdminMixin
from .detect import DetectDataMixin
from .editor import WorkflowEditorMixin
from .live_diff import LiveDiffMixin
from .run_now import RunNowMixin


@admin.register(Workflow)
class WorkflowAdmin(
    AuditedAdminMixin,
    LiveDiffMixin,
    WorkflowEditorMixin,
    DetectDataMixin,
    RunNowMixin,
    admin.ModelAdmin,
):
    audit_kind = audit.Kind.WORKFLOW
    list_display = ("name", "folder", "kind", "expose", "auth", "updated_at")
    list_filter = ("folder", "kind", "expose", "auth")
    search_fields = ("name", "description")

    def audit_name(self, obj: Workflow) -> str:
        return obj.name

    def audit_snapshot(self, obj: Workflow) -> dict[str, Any] | None:
        return audit.workflow_snapshot(obj.pk)

    def history_url(self, request: HttpRequest, obj: Workflow) -> str | None:
        """The workflow's entries in "Definition changes", for those who may read them."""
        if not request.user.has_perm("workflows.view_definitionchange"):
            return None
        query = urlencode({"kind__exact": audit.Kind.WORKFLOW, "name": obj.name})
        return f"{reverse('admin:workflows_definitionchange_changelist')}?{query}"
