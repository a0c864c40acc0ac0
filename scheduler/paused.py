"""What is paused, read once per request: the banner every admin page shows while the
scheduler or a workflow is paused (``scheduler_admin.paused_banner`` in
templates/admin/base_site.html), and the Scheduler page's pause buttons.

``Pause`` has a row per paused thing (a handful at most), so this is one small query,
kept on the request for the rest of it.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Pause

_ATTR = "_scheduler_pauses"


def pauses_for(request: HttpRequest) -> list[Pause]:
    """The pauses in force, oldest first, with their workflow and user; one query per
    request."""
    found = getattr(request, _ATTR, None)
    if found is None:
        found = list(Pause.objects.select_related("workflow", "paused_by").order_by("paused_at"))
        setattr(request, _ATTR, found)
    return found


def forget_pauses(request: HttpRequest) -> None:
    """After pausing or resuming within this request: read them again when next asked."""
    if hasattr(request, _ATTR):
        delattr(request, _ATTR)
