"""The Scheduler log (Bubble's Logs tab → Scheduler): upcoming runs, cancel, pause/resume.

Built for a table of 1,000,000 scheduled runs, answering each page from indexes:

* nothing counts the whole table: the paginator counts at most a few pages past the one
  shown (``CappedPaginator``), the full result count is off, facets are off, and the
  counts by status on top are of unfinished rows only and cached for a few seconds;
* a page is read in two steps — the page's ids by a narrow query the database answers
  from ``sched_status_due_idx`` / ``sched_workflow_due_idx`` without the joined tables,
  then those rows with their workflow, user and runs;
* rows are ordered by ``due_at`` alone, without Django's ``-pk`` tie-breaker, which would
  keep SQLite from reading ``status IN (scheduled, queued) ORDER BY due_at LIMIT n`` from
  the index (1.9 s instead of 1 ms at 1,000,000 rows); runs due at the same moment keep
  the index's order, which is stable from one page to the next;
* only cheap columns sort (due time, status) and the workflow filter lists
  workflows, never ``SELECT DISTINCT`` over scheduled runs; the filter of deleted
  workflows reads only the rows they left (``workflow_id IS NULL``, a range of
  ``sched_workflow_due_idx``).

Rows of a workflow deleted in development stay (``KeepsWorkflowName``), shown as
"send-reminder (deleted)", found by that name in the search and the deleted workflows'
filter.

State changes — cancel, cancel every run matching the filter, cancel all past-due, pause
and resume, and retry (``admin_schedule``) — first show a page saying what they will touch
(``admin_confirm``); its button is a POST with a CSRF token, made through
``scheduler.services`` (one guarded UPDATE each) or on ``Pause`` rows. Each needs a
permission: changing scheduled runs to cancel, adding / deleting pauses to pause / resume,
adding scheduled runs to schedule (the add page is the Schedule page) and retry.

The Runs log links here with ``?scheduled_by__id__exact=<run id>`` (what a run scheduled)
and ``?run__id__exact=<run id>`` (the scheduled run a run executed); see ``LinkFilter``.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe

from workflows.admin.display import admin_link, pretty_json
from workflows.admin.paging import id_number, page_number
from workflows.admin.run_filters import WorkflowFilter
from workflows.engine.serialize import to_log
from workflows.models import Run, Workflow

from . import admin_triggers, services  # noqa: F401  (admin_triggers registers its page)
from .admin_confirm import Touched, action_fields, confirm_page, confirmed, plural, touched
from .admin_schedule import ScheduleAdminMixin, workflow_or_404
from .execution import shown_params
from .frequency import parse_frequency
from .models import CANCELLABLE, KeepsWorkflowName, Pause, RecurringEvent, ScheduledRun, Status
from .paused import forget_pauses, pauses_for
from .thing_names import bound_thing, name_things
from .zone_time import with_zone_time, zone_of, zone_time_parts

CANCEL_PERMISSION = "scheduler.change_scheduledrun"
PAUSE_PERMISSION = "scheduler.add_pause"
RESUME_PERMISSION = "scheduler.delete_pause"

#: the paginator counts at least this many rows (and up to ``PAGES_AHEAD`` pages past the
#: page shown); beyond, the list says "more than N"
MIN_COUNTED = 10_000
PAGES_AHEAD = 10

#: the counts by status on top of the Scheduler, cached this many seconds
COUNTS_CACHE_KEY = "scheduler:admin:status-counts"
COUNTS_TTL = 10
#: statuses counted on top (finished runs are not: counting them is a scan of the table)
COUNTED = (Status.SCHEDULED, Status.QUEUED, Status.RUNNING)

PARAMS_SUMMARY_LENGTH = 80

#: query parameters that show runs tied to one run or recurring event (the Runs log and
#: the recurring events page link with them)
LINK_PARAMS = {
    "scheduled_by__id__exact": "scheduled by run",
    "run__id__exact": "executed as run",
    "recurring__id__exact": "occurrence of recurring event",
}


# --- paging without counting the table ---------------------------------------------------


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows; reads a page as ids first, then those rows.

    Below the cap ``count`` is exact. At the cap, ``capped`` is true and more than
    ``known`` rows exist; the page links end one page past them, and since the cap is set
    from the page shown (``CappedCountMixin.get_paginator``), following them moves it on.
    The rows of a page are read by primary key alone (with ``related`` joined), not with
    the list's filters, which could lead the database to a worse index.
    """

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        cap: int,
        related: tuple[str, ...] = (),
        **kwargs: Any,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.related = related

    @cached_property
    def count(self) -> int:
        # SELECT COUNT(*) FROM (SELECT ... LIMIT cap): stops after cap rows
        return self.object_list.order_by()[: self.cap].count()

    @property
    def capped(self) -> bool:
        return self.count >= self.cap

    @property
    def known(self) -> int:
        return self.cap - 1 if self.capped else self.count

    @property
    def known_display(self) -> str:
        return f"{self.known:,}"

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.capped and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int) -> list[Any]:
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        found = self.object_list.model._default_manager.filter(pk__in=ids)
        if self.related:
            found = found.select_related(*self.related)
        rows = {row.pk: row for row in found.order_by()}
        return [rows[pk] for pk in ids if pk in rows]


class CappedCountMixin:
    """A ``ModelAdmin`` whose changelist never counts (or sorts) the whole table."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        shown = (page_number(request) + PAGES_AHEAD) * per_page
        return CappedPaginator(
            queryset,
            per_page,
            cap=max(MIN_COUNTED, shown) + 1,
            related=tuple(self.list_select_related or ()),
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )


class DueOrderChangeList(ChangeList):
    """Orders by what was asked, then ``due_at``; no ``-pk`` tie-breaker (see the module).

    ``due_at`` follows the direction of the first key, so "status, newest first" reads
    ``sched_status_due_idx`` backwards instead of sorting.
    """

    def _get_deterministic_ordering(self, ordering: Any) -> list[Any]:
        def is_due(part: Any) -> bool:
            return isinstance(part, str) and part.lstrip("-") == "due_at"

        ordering = list(ordering) or ["due_at"]
        first = ordering[0]
        if is_due(first):
            return [first, *(part for part in ordering[1:] if not is_due(part))]
        descending = isinstance(first, str) and first.startswith("-")
        return [
            *(part for part in ordering if not is_due(part)),
            "-due_at" if descending else "due_at",
        ]


# --- filters ---------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Upcoming runs (scheduled or queued) unless another status, or all, is asked for."""

    title = "status"
    parameter_name = "status"
    UPCOMING = "upcoming"
    ALL = "all"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any):
        super().__init__(request, params, model, model_admin)
        # Links to the runs of one run or event, and Django's own status__exact, mean all.
        pinned = any(name in request.GET for name in LINK_PARAMS) or any(
            name.startswith("status__") for name in request.GET
        )
        self.default = self.ALL if pinned else self.UPCOMING

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (self.UPCOMING, "Upcoming (scheduled or queued)"),
            *Status.choices,
            (self.ALL, "All"),
        ]

    def current(self) -> str:
        return self.value() or self.default

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.current()
        if value == self.UPCOMING:
            return queryset.filter(status__in=CANCELLABLE)
        if value == self.ALL:
            return queryset
        if value in Status.values:
            return queryset.filter(status=value)
        raise IncorrectLookupParameters(f"unknown status {value!r}")

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        current = self.current()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("past", "Past due"),
            ("hour", "Next hour"),
            ("today", "Today"),
            ("week", "Next 7 days"),
            ("later", "Later"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        now = timezone.now()
        if value == "past":
            return queryset.filter(due_at__lt=now)
        if value == "hour":
            return queryset.filter(due_at__gte=now, due_at__lt=now + datetime.timedelta(hours=1))
        if value == "today":
            today = timezone.localdate(now)
            start, end = (
                timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
                for day in (today, today + datetime.timedelta(days=1))
            )
            return queryset.filter(due_at__gte=start, due_at__lt=end)
        if value == "week":
            return queryset.filter(due_at__gte=now, due_at__lt=now + datetime.timedelta(days=7))
        if value == "later":
            return queryset.filter(due_at__gte=now + datetime.timedelta(days=7))
        raise IncorrectLookupParameters(f"unknown due window {value!r}")


class DeletedWorkflowFilter(admin.SimpleListFilter):
    """Rows of workflows deleted in development, by the name they kept; shown only while
    there are some (``KeepsWorkflowName``)."""

    title = "deleted workflow"
    parameter_name = "workflow_name"
    #: names listed at most
    LISTED = 100

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = (
            model_admin.model.objects.filter(workflow__isnull=True)
            .order_by("workflow_name")
            .values_list("workflow_name", flat=True)
            .distinct()[: self.LISTED]
        )
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(workflow__isnull=True, workflow_name=value)


class LinkFilter(admin.ListFilter):
    """The runs one run scheduled, the one it executed, or a recurring event's occurrences.

    Shown only when in use (links from the Runs log and the recurring events page).
    """

    title = "linked to"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any):
        super().__init__(request, params, model, model_admin)
        for name in LINK_PARAMS:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return bool(self.used_parameters)

    def expected_parameters(self) -> list[str]:
        return list(LINK_PARAMS)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        lookups: dict[str, Any] = {}
        for name, value in self.used_parameters.items():
            try:
                lookups[name] = (
                    id_number(value) if name.startswith("recurring") else uuid.UUID(value)
                )
            except ValueError:
                raise IncorrectLookupParameters(f"bad {name} {value!r}") from None
        return queryset.filter(**lookups)

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(remove=list(LINK_PARAMS)),
            "display": "Anything (clear)",
        }
        for name, value in self.used_parameters.items():
            yield {
                "selected": True,
                "query_string": changelist.get_query_string(),
                "display": f"{LINK_PARAMS[name]} {value}",
            }


# --- shared helpers ----------------------------------------------------------------------


def _link(url_name: str, pk: Any, text: Any) -> Any:
    try:
        url = reverse(url_name, args=[pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


def _run_link(run: Run | None) -> Any:
    if run is None:
        return "-"
    return _link("admin:workflows_run_change", run.pk, f"{run.workflow_name} ({run.status})")


def _user_text(user: Any) -> Any:
    if user is None:
        return format_html("<em>{}</em>", "anonymous")
    return str(user)


def _badge(status: str, label: str) -> Any:
    return format_html('<span class="sched-badge sched-{}">{}</span>', status, label)


def with_test_badge(shown: Any, obj: ScheduledRun | RecurringEvent) -> Any:
    """``shown``, marked "test" when ``obj`` comes from a test of development: it runs
    development (docs/versions.md)."""
    if obj.test:
        return format_html("{} {}", shown, _badge("test", "test"))
    return shown


def workflow_named(term: str) -> Q:
    """Rows whose workflow's name contains ``term``: development's workflows, and the
    names deleted ones' rows kept."""
    workflows = Workflow.objects.filter(name__icontains=term).values("pk")
    return Q(workflow_id__in=workflows) | Q(workflow__isnull=True, workflow_name__icontains=term)


def workflow_link(obj: KeepsWorkflowName) -> Any:
    """A link to the row's workflow; its kept name once deleted in development."""
    return obj.workflow_label if obj.workflow_deleted else admin_link(obj.workflow)


def status_counts() -> dict[str, Any]:
    """Unfinished runs by status, and how many are past due; cached ``COUNTS_TTL`` seconds.

    Read from ``sched_status_due_idx`` (status and due time), never a scan of the table.
    """
    counts = cache.get(COUNTS_CACHE_KEY)
    if counts is None:
        now = timezone.now()
        by_status = dict(
            ScheduledRun.objects.filter(status__in=COUNTED)
            .order_by()
            .values_list("status")
            .annotate(n=Count("*"))
        )
        counts = {
            "rows": [
                {"status": s.value, "label": s.label, "count": by_status.get(s.value, 0)}
                for s in COUNTED
            ],
            "past_due": ScheduledRun.objects.filter(status__in=CANCELLABLE, due_at__lt=now).count(),
            "at": now,
        }
        for row in counts["rows"]:
            row["display"] = f"{row['count']:,}"
        counts["past_due_display"] = f"{counts['past_due']:,}"
        cache.set(COUNTS_CACHE_KEY, counts, COUNTS_TTL)
    return counts


def forget_counts() -> None:
    cache.delete(COUNTS_CACHE_KEY)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _cancel_notes() -> list[str]:
    return [
        "Runs already running or finished are left as they are.",
        "A cancelled occurrence of a recurring event skips that occurrence only; the event "
        "goes on (stop it under Recurring events).",
    ]


def _cancel_message(request: HttpRequest, cancelled: int, skipped: int) -> None:
    text = f"Cancelled {cancelled} scheduled run{'s' if cancelled != 1 else ''}."
    if skipped:
        text += f" {skipped} could not be cancelled: already running or finished."
    messages.add_message(request, messages.WARNING if skipped else messages.SUCCESS, text)


# --- the Scheduler -----------------------------------------------------------------------


class ReadOnlyDetailMixin:
    """Nothing is added or deleted here; the change page of a row shows it read-only.

    Change permission still counts without a row: the actions (cancel, stop) need it.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request)


@admin.register(ScheduledRun)
class ScheduledRunAdmin(
    CappedCountMixin, ScheduleAdminMixin, ReadOnlyDetailMixin, admin.ModelAdmin
):
    list_display = (
        "workflow_shown",
        "due",
        "status_badge",
        "runs_as",
        "scheduled_by_display",
        "attempts",
        "run_log",
        "params_summary",
    )
    list_display_links = ("workflow_shown", "due")
    list_filter = (
        StatusFilter,
        DueFilter,
        WorkflowFilter,
        DeletedWorkflowFilter,
        "origin",
        "test",
        LinkFilter,
    )
    list_select_related = ("workflow", "actor", "run", "scheduled_by")
    sortable_by = ("due", "status_badge")
    ordering = ("due_at",)
    search_fields = ("id",)
    search_help_text = (
        "A scheduled run id, the id of a run it executed or that scheduled it, or a workflow name."
    )
    actions = ("cancel_selected", "retry_selected")

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "workflow_link",
                    "status_badge",
                    "due_at",
                    "time_zone_shown",
                    "origin",
                    "runs_as_link",
                    "scheduled_by_link",
                    "recurring_link",
                    "run_link",
                    "retry_links",
                    "attempts",
                    "last_error",
                    "depth",
                    "ignore_privacy",
                    "test",
                )
            },
        ),
        (
            "Timing",
            {"fields": ("created_at", "started_at", "finished_at", "lease_expires_at")},
        ),
        ("Parameters", {"fields": ("params_display", "context_display")}),
    )
    readonly_fields = tuple(f for _, options in fieldsets for f in options["fields"])

    class Media:
        css = {"all": ("scheduler/scheduler_admin.css", "workflows/run_log.css")}

    # --- list ---------------------------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DueOrderChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """An id finds the scheduled run, or those a run executed or scheduled; else names."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            pk = uuid.UUID(term)
        except ValueError:
            return queryset.filter(workflow_named(term)), False
        return queryset.filter(Q(pk=pk) | Q(run_id=pk) | Q(scheduled_by_id=pk)), False

    @admin.display(description="workflow")
    def workflow_shown(self, obj: ScheduledRun) -> str:
        return obj.workflow_label

    @admin.display(description="due", ordering="due_at")
    def due(self, obj: ScheduledRun) -> Any:
        """The due time to the second (and on the clock of the zone it runs in, when it has
        one), marked when a run that has not started is late."""
        here, there = zone_time_parts(obj.due_at, "%Y-%m-%d %H:%M:%S", zone_of(obj))
        if obj.status in CANCELLABLE and obj.due_at < timezone.now():
            text = format_html('<span class="sched-late" title="past due">{}</span>', here)
        else:
            text = format_html('<span class="sched-due">{}</span>', here)
        if there:  # the zone it runs in, on a line of its own
            return format_html('{}<br><span class="sched-zone">{}</span>', text, there)
        return text

    @admin.display(description="time zone")
    def time_zone_shown(self, obj: ScheduledRun) -> str:
        zone = zone_of(obj)
        if not zone:
            return f"{settings.TIME_ZONE} (the server's)"
        return zone if obj.time_zone else f"{zone} (its workflow's)"

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ScheduledRun) -> Any:
        return _badge(obj.status, obj.get_status_display())

    @admin.display(description="runs as")
    def runs_as(self, obj: ScheduledRun) -> Any:
        return _user_text(obj.actor)

    @admin.display(description="scheduled by")
    def scheduled_by_display(self, obj: ScheduledRun) -> Any:
        if obj.scheduled_by_id is None:
            shown = obj.get_origin_display()
        else:
            shown = _link(
                "admin:workflows_run_change",
                obj.scheduled_by_id,
                f"run of {obj.scheduled_by.workflow_name}",
            )
        return with_test_badge(shown, obj)

    @admin.display(description="run log")
    def run_log(self, obj: ScheduledRun) -> Any:
        if obj.run_id is None:
            return "-"
        return _link("admin:workflows_run_change", obj.run_id, obj.run.status)

    @admin.display(description="parameters")
    def params_summary(self, obj: ScheduledRun) -> Any:
        if not obj.params:
            return "-"
        text = json.dumps(shown_params(obj), ensure_ascii=False, default=str)
        if len(text) > PARAMS_SUMMARY_LENGTH:
            text = text[: PARAMS_SUMMARY_LENGTH - 1] + "…"
        return format_html('<code class="sched-params">{}</code>', text)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "title": "Scheduler",
            **self._scheduler_context(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def _scheduler_context(self, request: HttpRequest) -> dict[str, Any]:
        pauses = pauses_for(request)
        scheduler_pause = next((p for p in pauses if p.key == Pause.key_for(None)), None)
        workflow_pauses = [p for p in pauses if p.workflow_id is not None]
        paused_ids = {p.workflow_id for p in workflow_pauses}
        user = request.user
        return {
            "status_counts": status_counts(),
            "scheduler_pause": scheduler_pause,
            "workflow_pauses": workflow_pauses,
            "pausable_workflows": [
                (pk, name)
                for pk, name in Workflow.objects.values_list("pk", "name")
                if pk not in paused_ids
            ],
            "selected_workflow": request.GET.get(WorkflowFilter.parameter_name, ""),
            "can_cancel": user.has_perm(CANCEL_PERMISSION),
            "can_pause": user.has_perm(PAUSE_PERMISSION),
            "can_resume": user.has_perm(RESUME_PERMISSION),
            "cancel_past_due_url": reverse(self._url_name("cancel_past_due")),
            "pause_url": reverse(self._url_name("pause")),
            "resume_url": reverse(self._url_name("resume")),
            "recurring_url": reverse("admin:scheduler_recurringevent_changelist"),
            "changelist_url": reverse(self._url_name("changelist")),
        }

    # --- cancelling -----------------------------------------------------------------------

    @admin.action(description="Cancel selected scheduled runs", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """One UPDATE (``services.cancel_matching``) over the selection or the whole filter
        ("select all": ``select_across``), after a page saying what it cancels."""
        across = request.POST.get("select_across") == "1"
        wanted = len(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))
        if not confirmed(request):
            what = touched(queryset.filter(status__in=CANCELLABLE))
            if across:
                scope = "Every scheduled run matching the filter that has not started yet."
            else:
                scope = f"{plural(wanted, 'selected run')}; " + (
                    "all can still be cancelled."
                    if what.count == wanted
                    else f"{wanted - what.count:,} of them already running or finished."
                )
            return self._ask_cancel(
                request,
                what,
                scope,
                hidden=action_fields(request),
            )
        if across:
            skipped = queryset.exclude(status__in=CANCELLABLE).count()
            cancelled = services.cancel_matching(queryset)
        else:
            cancelled = services.cancel_matching(queryset)
            skipped = max(wanted - cancelled, 0)
        forget_counts()
        _cancel_message(request, cancelled, skipped)
        return None

    def cancel_past_due_view(self, request: HttpRequest) -> HttpResponse:
        """Asks how many runs are past due (by workflow); confirmed: cancels them all."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        past_due = ScheduledRun.objects.filter(due_at__lt=timezone.now())
        if not confirmed(request):
            return self._ask_cancel(
                request,
                touched(past_due.filter(status__in=CANCELLABLE)),
                "Every scheduled or queued run whose due time has passed.",
            )
        cancelled = services.cancel_matching(past_due)
        forget_counts()
        _cancel_message(request, cancelled, 0)
        return redirect(reverse(self._url_name("changelist")))

    def cancel_one_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Asks (naming the run's workflow and due time); confirmed: cancels it."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such scheduled run.")
        page = reverse(self._url_name("change"), args=[obj.pk])
        if not confirmed(request):
            due = f"{timezone.localtime(obj.due_at):%Y-%m-%d %H:%M:%S}"
            return confirm_page(
                request,
                self,
                title="Cancel this scheduled run?",
                question=f"Cancel the scheduled run of {obj.workflow_label} due {due}?",
                details=[
                    f"It runs as {_user_text(obj.actor)}; it is {obj.get_status_display()}.",
                    *_cancel_notes(),
                ],
                yes="Yes, cancel it",
                back_url=page,
                count=1 if obj.status in CANCELLABLE else 0,
                danger=True,
            )
        cancelled = services.cancel([obj.pk])
        forget_counts()
        _cancel_message(request, cancelled, 1 - cancelled)
        return redirect(page)

    def _ask_cancel(
        self,
        request: HttpRequest,
        what: Touched,
        scope: str,
        hidden: list[tuple[str, Any]] | None = None,
    ) -> TemplateResponse:
        return confirm_page(
            request,
            self,
            title="Cancel scheduled runs?",
            question=f"Cancel {what.describe('scheduled run')}?",
            details=[scope, *_cancel_notes()],
            yes="Yes, cancel it" if what.count == 1 else "Yes, cancel them",
            back_url=request.get_full_path(),
            hidden=hidden or (),
            count=what.count,
            danger=True,
        )

    # --- pausing --------------------------------------------------------------------------

    def pause_view(self, request: HttpRequest) -> HttpResponse:
        return self._set_pause(request, paused=True)

    def resume_view(self, request: HttpRequest) -> HttpResponse:
        return self._set_pause(request, paused=False)

    def _set_pause(self, request: HttpRequest, *, paused: bool) -> HttpResponse:
        """Optional ``workflow`` (an id): pause or resume it, or the whole scheduler; asks
        first, saying how many runs wait or will start."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PAUSE_PERMISSION if paused else RESUME_PERMISSION):
            raise PermissionDenied
        workflow = None
        data = request.POST if request.method == "POST" else request.GET
        raw = data.get("workflow", "").strip()
        if raw:
            workflow = workflow_or_404(raw)
        back = _safe_next(request, reverse(self._url_name("changelist")))
        if not confirmed(request):
            return self._ask_pause(request, workflow, paused=paused, back=back)
        key = Pause.key_for(workflow)
        what = f"Workflow {workflow.name}" if workflow else "The scheduler"
        if paused:
            _, created = Pause.objects.get_or_create(
                key=key, defaults={"workflow": workflow, "paused_by": request.user}
            )
            messages.success(
                request,
                f"{what} is paused: its scheduled runs wait until it is resumed."
                if created
                else f"{what} was already paused.",
            )
        else:
            deleted, _ = Pause.objects.filter(key=key).delete()
            messages.success(
                request,
                f"{what} is resumed: runs that came due meanwhile run now."
                if deleted
                else f"{what} was not paused.",
            )
        forget_pauses(request)
        return redirect(back)

    def _ask_pause(
        self, request: HttpRequest, workflow: Workflow | None, *, paused: bool, back: str
    ) -> TemplateResponse:
        now = timezone.now()
        waiting = ScheduledRun.objects.filter(status=Status.SCHEDULED)
        if workflow is not None:
            waiting = waiting.filter(workflow=workflow)
        total = waiting.count()
        past_due = waiting.filter(due_at__lt=now).count()
        name = f"the workflow {workflow.name}" if workflow else "the scheduler"
        of = f" of {workflow.name}" if workflow else ""
        if paused:
            next_hour = waiting.filter(
                due_at__gte=now, due_at__lt=now + datetime.timedelta(hours=1)
            ).count()
            question = f"Pause {name}? {plural(total, 'scheduled run')} will wait."
            details = [
                f"No scheduled run{of} starts until it is resumed: {total:,} waiting, "
                f"{past_due:,} past due now, {next_hour:,} due in the next hour.",
                "Runs already queued or running go on.",
                "On resume, runs that came due meanwhile start at once, unless their "
                "workflow's “missed after” marks them missed.",
            ]
            yes = "Yes, pause"
        else:
            question = f"Resume {name}? {plural(past_due, 'past-due run')} will start now."
            details = [
                f"{plural(total, 'scheduled run')}{of} waiting; {past_due:,} of them past due, "
                "starting at once, unless their workflow's “missed after” marks them missed.",
            ]
            if workflow is None:
                details.append("Workflows paused on their own stay paused.")
            yes = "Yes, resume"
        hidden = [("next", back)]
        if workflow is not None:
            hidden.append(("workflow", workflow.pk))
        return confirm_page(
            request,
            self,
            title=f"{'Pause' if paused else 'Resume'} {name}?",
            question=question,
            details=details,
            yes=yes,
            back_url=back,
            form_action=request.path,
            hidden=hidden,
            count=total if paused else past_due,
        )

    # --- detail ---------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.status in CANCELLABLE and self.has_change_permission(request):
            extra_context["cancel_url"] = reverse(self._url_name("cancel"), args=[obj.pk])
        if (
            obj is not None
            and obj.status in services.RETRYABLE
            and self.has_add_permission(request)
        ):
            extra_context["retry_url"] = reverse(self._url_name("retry"), args=[obj.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def counts_changed(self) -> None:
        forget_counts()

    @admin.display(description="retries")
    def retry_links(self, obj: ScheduledRun) -> Any:
        """The run this one retries, and the runs retrying it ("Retry now")."""
        parts = []
        if obj.retry_of_id is not None:
            parts.append(
                format_html(
                    "retry of {}", _link(self._url_name("change"), obj.retry_of_id, obj.retry_of_id)
                )
            )
        retries = list(obj.retries.order_by("created_at").values_list("pk", flat=True)[:10])
        if retries:
            parts.append(
                format_html(
                    "retried as {}",
                    format_html_join(
                        ", ", "{}", ((_link(self._url_name("change"), pk, pk),) for pk in retries)
                    ),
                )
            )
        if not parts:
            return "-"
        return format_html_join(mark_safe("<br>"), "{}", ((p,) for p in parts))  # noqa: S308

    @admin.display(description="workflow")
    def workflow_link(self, obj: ScheduledRun) -> Any:
        return workflow_link(obj)

    @admin.display(description="runs as")
    def runs_as_link(self, obj: ScheduledRun) -> Any:
        if obj.actor is None:
            return _user_text(None)
        try:
            return admin_link(obj.actor)
        except NoReverseMatch:
            return str(obj.actor)

    @admin.display(description="scheduled by")
    def scheduled_by_link(self, obj: ScheduledRun) -> Any:
        origin = obj.get_origin_display()
        if obj.scheduled_by is None:
            return origin
        return format_html("{} ({})", _run_link(obj.scheduled_by), origin)

    @admin.display(description="recurring event")
    def recurring_link(self, obj: ScheduledRun) -> Any:
        return admin_link(obj.recurring)

    @admin.display(description="run log (latest attempt)")
    def run_link(self, obj: ScheduledRun) -> Any:
        return _run_link(obj.run)

    @admin.display(description="parameters (secrets masked)")
    def params_display(self, obj: ScheduledRun) -> Any:
        return pretty_json(shown_params(obj))

    @admin.display(description="context")
    def context_display(self, obj: ScheduledRun) -> Any:
        return pretty_json(to_log(obj.context)) if obj.context else "-"

    # --- urls -----------------------------------------------------------------------------

    def _url_name(self, name: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}"

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "cancel-past-due/",
                wrap(self.cancel_past_due_view),
                name=f"{prefix}_cancel_past_due",
            ),
            path("pause/", wrap(self.pause_view), name=f"{prefix}_pause"),
            path("resume/", wrap(self.resume_view), name=f"{prefix}_resume"),
            path("<path:object_id>/cancel/", wrap(self.cancel_one_view), name=f"{prefix}_cancel"),
            *self.schedule_urls(),
            *super().get_urls(),
        ]


# --- recurring events --------------------------------------------------------------------


class NamedThingsChangeList(ChangeList):
    """A page of recurring events with the things they are bound to looked up by name, one
    query per data type on the page (``thing_names``)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        name_things(request, self.result_list)


class FailingFilter(admin.SimpleListFilter):
    title = "failing"
    parameter_name = "failing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Failing"), ("no", "Not failing")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(consecutive_failures__gt=0)
        if self.value() == "no":
            return queryset.filter(consecutive_failures=0)
        return queryset


def frequency_text(value: Any) -> str:
    try:
        return str(parse_frequency(value))
    except (ValueError, TypeError):
        return json.dumps(value, default=str)


@admin.register(RecurringEvent)
class RecurringEventAdmin(CappedCountMixin, ReadOnlyDetailMixin, admin.ModelAdmin):
    """Recurring events: what each is bound to (the thing by its name), how often, when it
    next runs (from its frequency's grid), and how its runs have been going."""

    list_display = (
        "workflow_shown",
        "data_type_display",
        "bound_to",
        "frequency_display",
        "next_occurrence",
        "last_run",
        "runs_count",
    )
    list_display_links = ("workflow_shown",)
    list_filter = ("active", FailingFilter, DeletedWorkflowFilter, "test")
    list_select_related = ("workflow",)
    sortable_by = ("last_run", "runs_count")
    search_fields = ("thing_id",)
    search_help_text = "The id of the thing an event is bound to, or a workflow name."
    actions = ("stop_selected",)

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "workflow_link",
                    "data_type_display",
                    "bound_to",
                    "frequency_display",
                    "next_occurrence",
                    "start",
                    "end",
                    "active",
                    "runs_as",
                    "created_by_link",
                    "depth",
                    "test",
                )
            },
        ),
        (
            "Outcome",
            {
                "fields": (
                    "health",
                    "last_status",
                    "last_run_at",
                    "occurrences_run",
                    "occurrences_link",
                )
            },
        ),
        ("Parameters", {"fields": ("params_display", "created_at")}),
    )
    readonly_fields = tuple(f for _, options in fieldsets for f in options["fields"])

    class Media:
        css = {"all": ("scheduler/scheduler_admin.css", "workflows/run_log.css")}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(thing_id=term) | workflow_named(term)), False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return NamedThingsChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            name_things(request, [obj])
        return obj

    @admin.display(description="workflow")
    def workflow_shown(self, obj: RecurringEvent) -> Any:
        return with_test_badge(obj.workflow_label, obj)

    @admin.display(description="data type")
    def data_type_display(self, obj: RecurringEvent) -> str:
        return obj.data_type or "-"

    @admin.display(description="bound to")
    def bound_to(self, obj: RecurringEvent) -> Any:
        return bound_thing(obj)

    @admin.display(description="next occurrence")
    def next_occurrence(self, obj: RecurringEvent) -> Any:
        """The next point of the event's grid from now (``frequency``), as the scheduler
        will place it: none once stopped or past its end."""
        if not obj.active:
            return format_html("<em>{}</em>", "stopped")
        try:
            frequency = parse_frequency(obj.frequency)
            due = frequency.first_at_or_after(obj.start, timezone.now())
        except (ValueError, TypeError):
            return "-"
        if obj.end is not None and due > obj.end:
            return format_html("<em>{}</em>", "none: ends before")
        return with_zone_time(due, "%Y-%m-%d %H:%M", frequency.time_zone)

    @admin.display(description="frequency")
    def frequency_display(self, obj: RecurringEvent) -> str:
        return frequency_text(obj.frequency)

    @admin.display(description="health", ordering="consecutive_failures")
    def health(self, obj: RecurringEvent) -> Any:
        if obj.consecutive_failures:
            return format_html(
                '<span class="sched-badge sched-failing">failing ({})</span>',
                obj.consecutive_failures,
            )
        return format_html('<span class="sched-badge sched-ok">{}</span>', "ok")

    @admin.display(description="last run", ordering="last_run_at")
    def last_run(self, obj: RecurringEvent) -> Any:
        """Its health badge and when it last ran: one column, so the list fits a laptop."""
        if obj.last_run_at is None:
            return format_html("{}<br><small>never ran</small>", self.health(obj))
        when = f"{timezone.localtime(obj.last_run_at):%Y-%m-%d %H:%M}"
        return format_html("{}<br><small>{}</small>", self.health(obj), when)

    @admin.display(description="runs", ordering="occurrences_run")
    def runs_count(self, obj: RecurringEvent) -> str:
        return f"{obj.occurrences_run:,}"

    @admin.display(description="runs as")
    def runs_as(self, obj: RecurringEvent) -> Any:
        return _user_text(obj.actor)

    @admin.display(description="workflow")
    def workflow_link(self, obj: RecurringEvent) -> Any:
        return workflow_link(obj)

    @admin.display(description="started by run")
    def created_by_link(self, obj: RecurringEvent) -> Any:
        return _run_link(obj.created_by)

    @admin.display(description="occurrences")
    def occurrences_link(self, obj: RecurringEvent) -> Any:
        url = reverse("admin:scheduler_scheduledrun_changelist")
        query = urlencode({"recurring__id__exact": obj.pk, "status": StatusFilter.ALL})
        return format_html('<a href="{}?{}">{}</a>', url, query, "its scheduled runs")

    @admin.display(description="parameters (secrets masked)")
    def params_display(self, obj: RecurringEvent) -> Any:
        return pretty_json(shown_params(obj))

    @admin.action(description="Stop selected recurring events", permissions=["change"])
    def stop_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """After a page naming what stops: ``services.stop_events`` (each active event off,
        its upcoming run cancelled). Stopping cannot be undone from here."""
        active = queryset.filter(active=True)
        if not confirmed(request):
            what = touched(active)
            selected = len(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))
            details = [
                "Each one's upcoming scheduled run is cancelled and no further run is "
                "scheduled; a workflow (or a new event) starts it again."
            ]
            if request.POST.get("select_across") != "1" and what.count < selected:
                details.append(f"{selected - what.count:,} of the selection already stopped.")
            return confirm_page(
                request,
                self,
                title="Stop recurring events?",
                question=f"Stop {what.describe('recurring event')}?",
                details=details,
                yes="Yes, stop it" if what.count == 1 else "Yes, stop them",
                back_url=request.get_full_path(),
                hidden=action_fields(request),
                count=what.count,
                danger=True,
            )
        stopped = services.stop_events(active)
        forget_counts()
        messages.success(request, f"Stopped {plural(stopped, 'recurring event')}.")
        return None


# --- pauses ------------------------------------------------------------------------------


class PauseForm(forms.ModelForm):
    class Meta:
        model = Pause
        fields = ("workflow",)
        help_texts = {"workflow": "Leave empty to pause the whole scheduler."}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        key = Pause.key_for(data.get("workflow"))
        if Pause.objects.filter(key=key).exists():
            raise forms.ValidationError(
                f"{data.get('workflow') or 'The scheduler'} is already paused."
            )
        return data


@admin.register(Pause)
class PauseAdmin(admin.ModelAdmin):
    """Pausing adds a row; resuming deletes it (the dispatcher reads these rows)."""

    form = PauseForm
    list_display = ("what", "paused_by", "paused_at")
    list_select_related = ("workflow", "paused_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="paused")
    def what(self, obj: Pause) -> str:
        return f"workflow {obj.workflow.name}" if obj.workflow_id else "the whole scheduler"

    def save_model(self, request: HttpRequest, obj: Pause, form: Any, change: bool) -> None:
        obj.key = Pause.key_for(obj.workflow)
        obj.paused_by = request.user
        super().save_model(request, obj, form, change)
