"""``{% paused_banner %}``: on every admin page, while the scheduler or a workflow is
paused, a warning saying so, with a way to resume (templates/admin/base_site.html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from ..paused import pauses_for

register = template.Library()

RESUME_PERMISSION = "scheduler.delete_pause"


@register.inclusion_tag("admin/scheduler/paused_banner.html", takes_context=True)
def paused_banner(context: template.Context) -> dict[str, Any]:
    """Nothing (and no query) for pages without a logged-in staff user: the log-in page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not (user and user.is_active and user.is_staff):
        return {"pauses": []}
    pauses = pauses_for(request)
    if not pauses:
        return {"pauses": []}
    try:
        resume = reverse("admin:scheduler_scheduledrun_resume")
        scheduler = reverse("admin:scheduler_scheduledrun_changelist")
    except NoReverseMatch:  # the Scheduler's admin is not installed
        resume = scheduler = ""
    here = request.get_full_path()
    can_resume = bool(resume) and user.has_perm(RESUME_PERMISSION)
    rows = []
    for pause in pauses:
        query = {"next": here}
        if pause.workflow_id is not None:
            query["workflow"] = pause.workflow_id
        rows.append(
            {
                "pause": pause,
                "resume_url": f"{resume}?{urlencode(query)}" if can_resume else "",
            }
        )
    scheduler_pause = next((r for r in rows if r["pause"].workflow_id is None), None)
    return {
        "pauses": pauses,
        "scheduler_pause": scheduler_pause,
        "workflow_pauses": [r for r in rows if r is not scheduler_pause],
        "scheduler_url": scheduler if user.has_perm("scheduler.view_scheduledrun") else "",
    }
