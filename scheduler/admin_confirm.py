"""Confirmation pages of the Scheduler's state changes: each says what it will touch first.

Cancel (one run, a selection, every run matching the filter, all past-due), retry, pause,
resume and stopping recurring events act only on a POST carrying ``confirm=yes``, the
button of the page ``confirm_page`` renders; anything else (a GET, a list action's first
POST) shows that page: "Cancel 1,204 scheduled runs of process-order?".

Counting what a cancel touches groups the runs that can still be cancelled by workflow:
one ``GROUP BY`` over the rows the action would update anyway, asked once, when a person
asks to change them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .workflow_counts import count_by_workflow

CONFIRM_TEMPLATE = "admin/scheduler/confirm.html"
#: the field the confirmation page's button sends
CONFIRM_FIELD = "confirm"
#: workflows named in a confirmation; the rest are summed up
NAMED_WORKFLOWS = 5


def confirmed(request: HttpRequest) -> bool:
    """The request is the confirmation page's button, not the first ask."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def action_fields(request: HttpRequest) -> list[tuple[str, Any]]:
    """The fields a list action's first POST carried (action, selection, "select all"), for
    the confirmation page to send again with its button."""
    return [
        ("action", request.POST.get("action", "")),
        ("select_across", request.POST.get("select_across", "0")),
        *(
            (helpers.ACTION_CHECKBOX_NAME, pk)
            for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ),
    ]


def plural(count: int, noun: str) -> str:
    """``1 scheduled run``, ``1,204 scheduled runs``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Touched:
    """How many rows an action touches, by workflow name (most first)."""

    count: int
    by_workflow: tuple[tuple[str, int], ...]

    def describe(self, noun: str) -> str:
        """``1,204 scheduled runs of process-order``; with several workflows, each one's
        share: ``1,210 scheduled runs (1,204 of process-order, 6 of nightly-report)``."""
        if self.count == 0:
            return f"no {noun}"
        if len(self.by_workflow) == 1:
            return f"{plural(self.count, noun)} of {self.by_workflow[0][0]}"
        parts = [f"{n:,} of {name}" for name, n in self.by_workflow[:NAMED_WORKFLOWS]]
        rest = self.by_workflow[NAMED_WORKFLOWS:]
        if rest:
            others = sum(n for _, n in rest)
            parts.append(f"{others:,} of {plural(len(rest), 'other workflow')}")
        return f"{plural(self.count, noun)} ({', '.join(parts)})"


def touched(queryset: QuerySet) -> Touched:
    """Rows of ``queryset`` (scheduled runs or recurring events) counted by workflow, those
    of a workflow deleted in development by the name they kept."""
    rows = list(
        queryset.order_by().values_list("workflow_id", "workflow_name").annotate(n=Count("*"))
    )
    return Touched(sum(n for _, _, n in rows), tuple(count_by_workflow(rows)))


def confirm_page(
    request: HttpRequest,
    model_admin: Any,
    *,
    title: str,
    question: str,
    details: Iterable[str] = (),
    yes: str,
    back_url: str,
    form_action: str | None = None,
    hidden: Iterable[tuple[str, Any]] = (),
    count: int | None = None,
    danger: bool = False,
) -> TemplateResponse:
    """The page asking ``question``, with ``details``; its button POSTs ``hidden`` and
    ``confirm=yes`` to ``form_action`` (by default the page's own URL). ``count`` is what
    the question counts (for tests and the page's ``data-count``); None when one thing.
    ``danger``: the button is drawn as Django's delete buttons (a cancel cannot be undone)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "question": question,
        "details": list(details),
        "yes": yes,
        "back_url": back_url,
        "form_action": form_action or request.get_full_path(),
        "hidden": list(hidden),
        "count": count,
        "confirm_field": CONFIRM_FIELD,
        "danger": danger,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
