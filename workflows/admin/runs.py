"""The Runs log (Bubble's "Server logs"): every run and its steps, and re-running one.

The list is built for 1,000,000 runs and more, each view answered from an index: no
``date_hierarchy`` (it scans for dates), no count at all (``PeekPaginator`` reads the page
and one row more), filters by workflow, status, source, time window and user
(``run_filters``), a search of the runs' text (``run_search``), a run id found by primary
key, only "newest first" as the order (every filter's index has it), related rows
fetched with the page. Failed runs are marked in words and colour.

A run's page (``run_page``) reads as a builder asks: status, workflow, user, source,
time, the error first naming its step, each step's values, the linked runs. Nothing is
edited here; a finished run may be re-run (``rerun``: a POST after a confirmation page,
with the permission ``workflows.rerun_run``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..choices import RunStatus
from ..exceptions import WorkflowError
from ..models import Run
from ..versions.edition import serving
from . import rerun, run_search
from .display import Values, duration
from .paging import PeekPaginator, page_number
from .run_filters import TimeWindowFilter, UserFilter, WorkflowFilter
from .run_page import STATUS_WORDS, ran_what, run_view, status_badge

#: Other apps add links about a run here (the scheduler: the scheduled runs it created and
#: the scheduled run it executed), so this app need not know them. Each gets the run and
#: returns HTML or None.
RUN_LINKS: list[Callable[[Run], Any]] = []

ERROR_SUMMARY = 90


def _version_of(compiled: Any) -> int | None:
    """The deployed version ``compiled`` comes from (None: development's row)."""
    tag = compiled.version
    return tag[1] if tag and tag[0] == "version" else None


class ReadOnlyMixin:
    """History is never written from the admin (re-running makes a new run)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NewestFirstChangeList(ChangeList):
    """Newest first, always: ``started_at`` then the key (each filter's index has both)."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[str]:
        return ["-started_at", "-pk"]


@admin.register(Run)
class RunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "started",
        "workflow_display",
        "status_display",
        "source_display",
        "ran_as",
        "duration_display",
        "error_summary",
    )
    list_display_links = ("started",)
    list_filter = (
        WorkflowFilter,
        "status",
        "source",
        ("test", admin.BooleanFieldListFilter),
        TimeWindowFilter,
        UserFilter,
    )
    search_fields = ("workflow_name",)  # shows the search box; get_search_results searches
    search_help_text = (
        "A run id, or text the runs' parameters, result or error contain (at least "
        f"{run_search.MIN_LENGTH} characters; JSON as logged, e.g. an order's id, an email, "
        "an error message)."
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_max_show_all = 0  # "show all" would read every run
    sortable_by = ()
    list_select_related = ("actor",)
    ordering = ("-started_at",)
    list_per_page = 50
    actions = None

    class Media:
        css = {"all": ("workflows/run_log.css", "workflows/run_page.css")}

    def can_rerun(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return request.user.has_perm(rerun.PERMISSION) and self.has_view_permission(request, obj)

    # --- the list ---------------------------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return NewestFirstChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> PeekPaginator:
        return PeekPaginator(
            queryset,
            per_page,
            number=page_number(request),
            related=tuple(self.list_select_related),
            allow_empty_first_page=allow_empty_first_page,
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A run id finds that run by primary key; anything else searches the runs' text
        (``run_search``): the filters' runs containing it, enough for the page shown."""
        term = search_term.strip()
        request.run_search = None  # what the list says about the search
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        needed = page_number(request) * self.list_per_page + 1
        try:
            outcome = run_search.search(queryset, term, needed)
        except run_search.SearchTooShort as exc:
            messages.error(request, f"Search: {exc}.")
            return queryset.none(), False
        request.run_search = {
            "complete": outcome.complete,
            "window": f"{run_search.WINDOW:,}",
            "cap": f"{run_search.INDEX_CAP:,}",
            "indexed": run_search.has_index(),
        }
        return outcome.queryset, False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, {"title": "Runs", **(extra_context or {})})
        if isinstance(response, TemplateResponse) and "cl" in (response.context_data or {}):
            cl = response.context_data["cl"]
            number = cl.paginator.number
            response.context_data["run_search"] = getattr(request, "run_search", None)
            response.context_data["pages"] = {
                "number": number,
                "newer_url": cl.get_query_string({PAGE_VAR: number - 1}) if number > 1 else "",
                "older_url": cl.get_query_string({PAGE_VAR: number + 1})
                if cl.paginator.has_more
                else "",
            }
        return response

    @admin.display(description="started")
    def started(self, obj: Run) -> str:
        return f"{obj.started_at:%Y-%m-%d %H:%M:%S}"

    @admin.display(description="workflow")
    def workflow_display(self, obj: Run) -> str:
        return obj.workflow_name

    @admin.display(description="ran as")
    def ran_as(self, obj: Run) -> Any:
        return obj.actor if obj.actor_id else format_html("<em>{}</em>", "anonymous")

    @admin.display(description="status")
    def status_display(self, obj: Run) -> Any:
        return status_badge(obj.status)

    @admin.display(description="source")
    def source_display(self, obj: Run) -> Any:
        marks = [mark for mark, on in (("re-run", obj.rerun_of_id), ("test", obj.test)) if on]
        if marks:
            return format_html("{} ({})", obj.get_source_display(), ", ".join(marks))
        return obj.get_source_display()

    @admin.display(description="duration")
    def duration_display(self, obj: Run) -> str:
        return duration(obj.duration_ms)

    @admin.display(description="error")
    def error_summary(self, obj: Run) -> Any:
        if not obj.error_code:
            return ""
        text = obj.error_message
        if len(text) > ERROR_SUMMARY:
            text = text[: ERROR_SUMMARY - 1] + "…"
        return format_html(
            '<span class="run-error-summary"><strong>{}</strong> {}</span>', obj.error_code, text
        )

    # --- a run's page -------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The run's page (``run_page``), read-only."""
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        run = self._run(request, object_id)
        links = [html for provider in RUN_LINKS if (html := provider(run))]
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "opts": self.opts,
            "original": run,
            "title": f"Run of {run.workflow_name}",
            "subtitle": str(run.pk),
            "view": run_view(request, run, self.admin_site, links),
            "can_rerun": self.can_rerun(request, run) and run.status != RunStatus.RUNNING,
            "rerun_url": reverse("admin:workflows_run_rerun", args=[run.pk]),
            "failed": run.status == RunStatus.FAILED,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/workflows/run/change_form.html", context)

    def _run(self, request: HttpRequest, object_id: str) -> Run:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            pk = uuid.UUID(unquote(object_id))
        except ValueError:
            raise Http404("No such run.") from None
        linked = ("workflow", "actor", "parent", "rerun_of")
        run = self.get_queryset(request).select_related(*linked).filter(pk=pk).first()
        if run is None:
            raise Http404("No such run.")
        return run

    # --- re-running ---------------------------------------------------------------------

    def rerun_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: what re-running will do (and why it cannot); POST: do it, once."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        run = self._run(request, object_id)
        if not self.can_rerun(request, run):
            raise PermissionDenied
        if request.method == "POST":
            return self._rerun(request, run)
        return self._confirm(request, run, key=uuid.uuid4())

    def _confirm(
        self, request: HttpRequest, run: Run, *, key: uuid.UUID, error: str = "", status: int = 200
    ) -> TemplateResponse:
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": run,
            "title": f"Re-run {run.workflow_name}?",
            "change_url": reverse("admin:workflows_run_change", args=[run.pk]),
            "key": key,
            "error": error,
            "ran_as": run.actor,
        }
        try:
            with serving(rerun.edition_of(run)):
                compiled = rerun.check(run)
                params = rerun.replay_params(run, compiled)
        except rerun.NotReplayable as exc:
            context["refused"] = exc.message
        else:
            values = Values(request, self.admin_site)
            context["params"] = [(key_, values.html(value)) for key_, value in params.items()]
            context["params_json"] = values.json(params)
            then = ran_what(run.version, run.workflow_revision)
            now = ran_what(_version_of(compiled), compiled.revision)
            context["revision_changed"] = (then != now, then, now)
            dropped = sorted(set(run.params or {}) - {p.key for p in compiled.parameters})
            context["dropped"] = dropped
        return TemplateResponse(
            request, "admin/workflows/run/rerun_confirmation.html", context, status=status
        )

    def _rerun(self, request: HttpRequest, run: Run) -> HttpResponse:
        try:
            key = uuid.UUID(request.POST.get("key", ""))
        except ValueError:
            return self._confirm(
                request,
                run,
                key=uuid.uuid4(),
                error="This confirmation is incomplete (no re-run key): confirm again.",
                status=400,
            )
        done = Run.objects.filter(pk=key).only("pk", "rerun_of_id").first()
        if done is not None:
            return self._already(request, run, done, key)
        try:
            result = rerun.rerun(run, key)
        except rerun.NotReplayable as exc:
            return self._confirm(request, run, key=key, error=exc.message, status=400)
        except WorkflowError as exc:  # a parameter refused before any run exists
            where = f"Parameter {exc.parameter!r}: " if exc.parameter else ""
            return self._confirm(request, run, key=key, error=f"{where}{exc.message}", status=400)
        except IntegrityError:  # the same confirmation sent twice at once: the other won
            done = Run.objects.filter(pk=key).only("pk", "rerun_of_id").first()
            if done is None:
                raise
            return self._already(request, run, done, key)
        new = result.run
        self.log_addition(request, new, f"Re-run of run {run.pk}, as {run.actor or 'anonymous'}.")
        words = STATUS_WORDS.get(new.status, ("", new.status))[1]
        messages.add_message(
            request,
            messages.ERROR if new.status == RunStatus.FAILED else messages.SUCCESS,
            f"Re-ran {run.workflow_name} as {run.actor or 'anonymous'}: {words}.",
        )
        return redirect(reverse("admin:workflows_run_change", args=[new.pk]))

    def _already(self, request: HttpRequest, run: Run, done: Run, key: uuid.UUID) -> HttpResponse:
        if done.rerun_of_id != run.pk:
            return self._confirm(
                request,
                run,
                key=uuid.uuid4(),
                error="This confirmation belongs to another run: confirm again.",
                status=400,
            )
        messages.warning(request, "This re-run was already made (the page was sent twice).")
        return redirect(reverse("admin:workflows_run_change", args=[done.pk]))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/rerun/",
                self.admin_site.admin_view(self.rerun_view),
                name="workflows_run_rerun",
            ),
            *super().get_urls(),
        ]
