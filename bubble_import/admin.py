"""The admin's "Bring a Bubble app over" (docs/coming-from-bubble.md#bring-your-app-over):
the app's address and token, the plan as a table, then the import as a background task
whose page shows a progress bar per type and, when it ends, the report — with the command
that runs the same import from a shell. Superusers only: an import makes data types,
user accounts and workflows.
"""

from __future__ import annotations

import shlex
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import lease
from .discover import NoPlan, discover
from .display import SOURCES, TOKEN_VARIABLE
from .models import BubbleImport, ImportedType
from .plan import Plan
from .run import ImportNotPossible, Options, start_or_continue, stopped_import
from .sealed import PAGE_MAX_AGE, NotSealed, seal, unseal
from .source import SourceError, check_token
from .tasks import guarded_app, start

#: seconds between two refreshes of a running import's page
REFRESH = 3


class ImportForm(forms.Form):
    address = forms.CharField(
        label="The Bubble app's address",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "https://myapp.bubbleapps.io", "size": 50}),
    )
    token = forms.CharField(
        label="Data API token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Bubble: Settings → API → API tokens. Never shown again, never logged; "
        "kept encrypted while the import runs.",
    )
    sealed = forms.CharField(required=False, widget=forms.HiddenInput)
    version_test = forms.BooleanField(
        label="Read the development version (version-test)", required=False
    )
    types = forms.CharField(
        label="Only these types",
        required=False,
        help_text="Their names in Bubble's URLs, comma-separated (empty: every exposed type). "
        "Needed when neither the Swagger file nor /api/1.1/meta is on.",
    )
    since_last = forms.BooleanField(label="Only what changed since the last import", required=False)
    apply_deletions = forms.BooleanField(
        label="Delete here the rows deleted on Bubble (with the above)", required=False
    )
    download_files = forms.BooleanField(
        label="Copy files and images into this project's storage", required=False
    )
    max_rps = forms.FloatField(
        label="At most this many requests a second", required=False, min_value=0.1
    )
    pages_in_flight = forms.IntegerField(
        label="Pages read at once", initial=4, min_value=1, max_value=32
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("apply_deletions") and not data.get("since_last"):
            self.add_error(
                "apply_deletions", "Goes with “only what changed since the last import”."
            )
        token = data.get("token") or ""
        if not token and data.get("sealed"):  # the plan's page carried it, sealed
            try:
                token = unseal(
                    data["sealed"], (data.get("address") or "").strip(), max_age=PAGE_MAX_AGE
                )
            except NotSealed as exc:
                self.add_error("token", str(exc))
        try:
            data["token"] = check_token(token)
        except SourceError as exc:
            self.add_error("token", str(exc))
        return data

    def types_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("types", "").split(",") if t.strip()]

    def options(self) -> Options:
        data = self.cleaned_data
        return Options(
            address=data["address"].strip(),
            version_test=data["version_test"],
            types=self.types_list(),
            since_last=data["since_last"],
            apply_deletions=data["apply_deletions"],
            download_files=data["download_files"],
            pages_in_flight=data.get("pages_in_flight") or 4,
            max_rps=data.get("max_rps"),
        )


@admin.register(BubbleImport)
class BubbleImportAdmin(admin.ModelAdmin):
    list_display = ("app", "status", "started_at", "finished_at", "rows")
    list_filter = ("status",)
    ordering = ("-started_at",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    has_add_permission = has_view_permission  # type: ignore[assignment]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_queryset(self, request: HttpRequest) -> Any:
        # the list's "rows copied", in its one query (not one per import)
        return (
            super()
            .get_queryset(request)
            .annotate(copied=Sum("types__copied"), on_bubble=Sum("types__bubble_count"))
        )

    @admin.display(description="rows copied")
    def rows(self, obj: BubbleImport) -> str:
        return f"{obj.copied or 0:,} of {obj.on_bubble or 0:,}"

    # -- start: the form, the plan, the start -------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None)
        context: dict[str, Any] = {}
        if request.method == "POST" and form.is_valid():
            app = None
            try:
                app = guarded_app(
                    form.cleaned_data["address"],
                    form.cleaned_data["token"],
                    version_test=form.cleaned_data["version_test"],
                )
                plan, tried = discover(app, form.types_list())
                if "start" in request.POST:
                    return self._start(request, form, app, plan)
                context.update(plan=plan, tried=tried, source=SOURCES[plan.source])
                context["sealed"] = seal(
                    form.cleaned_data["token"], form.cleaned_data["address"].strip()
                )
                context["stopped"] = stopped_import(app)
                context["command"] = command_line(form.options())
            except (SourceError, NoPlan, ImportNotPossible) as exc:
                form.add_error(None, str(exc))
            finally:
                if app is not None:
                    app.close()
        context.update(
            self.admin_site.each_context(request),
            opts=self.model._meta,
            title="Bring a Bubble app over",
            form=form,
        )
        return TemplateResponse(request, "admin/bubble_import/bubbleimport/start.html", context)

    def _start(self, request: HttpRequest, form: ImportForm, app: Any, plan: Plan) -> HttpResponse:
        bubble_import = start_or_continue(app, plan, form.options())
        if lease.state(bubble_import) == "carried out":
            messages.info(request, "This app's import is running: here is where it stands.")
        else:
            start(bubble_import, form.cleaned_data["token"])
        return HttpResponseRedirect(
            reverse("admin:bubble_import_bubbleimport_change", args=[bubble_import.pk])
        )

    # -- an import: progress, then its report --------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        bubble_import = get_object_or_404(BubbleImport, pk=object_id)
        if request.method == "POST" and "continue" in request.POST:
            return self._continue(request, bubble_import)
        now = timezone.now()
        progress = [_progress_row(p, now) for p in bubble_import.types.all()]
        running = bubble_import.status == BubbleImport.Status.RUNNING
        state = lease.state(bubble_import, now) if running else ""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": bubble_import,
            "title": str(bubble_import),
            "progress": progress,
            "running": running,
            "stalled": state == "stopped",
            "waiting": state == "waiting",
            "refresh": REFRESH if state in ("carried out", "waiting") else None,
            "report": bubble_import.report if not running else None,
            "command": command_line(Options(**bubble_import.options)),
        }
        return TemplateResponse(request, "admin/bubble_import/bubbleimport/progress.html", context)

    def _continue(self, request: HttpRequest, bubble_import: BubbleImport) -> HttpResponse:
        running = bubble_import.status == BubbleImport.Status.RUNNING
        if running and lease.state(bubble_import) == "stopped":
            try:
                token = unseal(bubble_import.token, bubble_import.app)
            except NotSealed:
                messages.error(
                    request,
                    "Its token cannot be read any more: start it again with the token (Add, "
                    "the same address); it continues where it stopped.",
                )
                return HttpResponseRedirect(request.path)
            start(bubble_import, token)
            messages.info(request, "The import continues where it stopped.")
        return HttpResponseRedirect(request.path)


def _progress_row(progress: ImportedType, now: Any) -> dict[str, Any]:
    """One type's bar: rows copied of Bubble's, rows a second, time left."""
    total = progress.bubble_count
    rate = progress.rows_per_second(now)
    left = None
    if rate and total is not None and not progress.copied_all:
        left = max(total - progress.copied, 0) / rate
    return {
        "type": progress,
        "percent": 100 if progress.copied_all else (progress.copied * 100 // total if total else 0),
        "rate": rate,
        "left": _duration(left) if left is not None else "",
    }


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def command_line(options: Options) -> str:
    """The same import from a shell (the token from the environment, never written here)."""
    words = ["python", "manage.py", "import_bubble_app", options.address]
    flags = (
        ("--version-test", options.version_test),
        ("--since-last", options.since_last),
        ("--apply-deletions", options.apply_deletions),
        ("--download-files", options.download_files),
    )
    words += [flag for flag, on in flags if on]
    if options.types:
        words += ["--types", ",".join(options.types)]
    if options.max_rps:
        words += ["--max-rps", f"{options.max_rps:g}"]
    if options.pages_in_flight != 4:
        words += ["--pages-in-flight", str(options.pages_in_flight)]
    return f"{TOKEN_VARIABLE}=… " + " ".join(shlex.quote(w) for w in words)
