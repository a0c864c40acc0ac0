"""Bubble's *Upload* and *Export* buttons of the Data tab, on the admin's list of a data
type's things (docs/data-types.md#bringing-rows-csv).

**Upload CSV** opens a page where a builder picks a file and the import's options, said in
plain words; the import is ``csv_io.import_csv``, the code of ``manage.py import_things``
(one transaction of its own: no ``atomic`` around it here). A file the import refuses as a
whole (not CSV, not UTF-8, no column naming a field, larger than
``BUBBLE_CSV_UPLOAD_MAX_SIZE``) is an error on the form; otherwise the result has its own
page (kept in the session, so reloading it imports nothing again): the summary, which
column went to which field and which were ignored, and each refused row's line and reason.

**Export CSV** downloads every thing of the type as ``<Type>-YYYY-MM-DD.csv``, written
while it is sent (``csv_io.export_rows``); the list's action does the same for the things
ticked.

Uploading takes the type's add permission (``things.add_t5``) or
``workflows.change_data_model``; exporting, its view or change permission. Only a user who
may change the data model (or a superuser) may upload a file that sets Bubble's built-in
fields (``Created By``, ``Created Date``, ``Modified Date``, ``unique id``); for others
such a file is refused, naming the columns and how to leave them out.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from ... import data_types
from ...data_model import csv_io
from ...data_model.csv_columns import columns_of
from ...models.data_model import DataType
from .permissions import can_change_data_model

#: refused rows listed on the result page; the others are counted
ERRORS_SHOWN = 200
#: import results kept in a session (each has its page until newer ones push it out)
RESULTS_KEPT = 5
SESSION_KEY = "things_csv_imports"
MAPPING_LABEL = "Columns as fields"


def upload_limit() -> int:
    """The largest file the upload page reads, in bytes (``BUBBLE_CSV_UPLOAD_MAX_SIZE``)."""
    return int(settings.BUBBLE_CSV_UPLOAD_MAX_SIZE)


class SizeLimit(FileUploadHandler):
    """Stops storing an upload once it passes the limit; the rest of the request is read
    and dropped (``connection_reset=False``), so the browser gets the form back with the
    reason instead of a broken connection."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


class UploadForm(forms.Form):
    """The file and the import's options, in the words of the upload page."""

    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty.",
        },
    )
    keep_good_rows = forms.BooleanField(
        required=False,
        label="Import the good rows and list the bad ones",
        help_text="Without it, a single bad row imports nothing.",
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Try it first: check every row, import nothing",
    )
    fire_triggers = forms.BooleanField(
        required=False,
        label="Run database triggers for each new thing",
        help_text="Without it, no “a thing is created” trigger runs: the rows are history "
        "brought over, whose work was done where they come from.",
    )
    empty_missing_links = forms.BooleanField(
        required=False,
        label="Leave links to things that do not exist empty",
        help_text="Without it, a row that points at a thing found nowhere is refused.",
    )
    mapping = forms.CharField(
        required=False,
        label=MAPPING_LABEL,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40, "placeholder": "Mail address = email"}),
        help_text="Only when a column's header is not a field's name: one per line, "
        "“column = field”; “column =” leaves the column out.",
    )

    def __init__(self, *args: Any, size_limit: SizeLimit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.size_limit = size_limit

    def full_clean(self) -> None:
        super().full_clean()
        # a file over the limit was dropped before the form saw it: say why, not "required"
        if self.is_bound and self.size_limit is not None and self.size_limit.exceeded:
            self._errors.pop("file", None)
            self.add_error("file", too_large())

    def clean_mapping(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["mapping"].splitlines(), start=1):
            if not line.strip():
                continue
            header, equals, field = line.partition("=")
            if not equals or not header.strip():
                raise forms.ValidationError(
                    f"line {number}: write it “column = field” (“column =” leaves it out)"
                )
            mapping[header.strip()] = field.strip()
        return mapping


def may_set_built_ins(request: HttpRequest) -> bool:
    """Whether the user's files may set Bubble's built-in fields (``Created By``, ``Created
    Date``, ``Modified Date``, ``unique id``): who made a thing and when is history, not
    data a user who may only add things writes (``manage.py import_things``, run by an
    operator, always may)."""
    return can_change_data_model(request)


def too_large() -> str:
    return (
        f"The file is larger than {filesizeformat(upload_limit())}, the largest this page "
        "takes (BUBBLE_CSV_UPLOAD_MAX_SIZE). Split it, or import it with "
        "manage.py import_things."
    )


def in_admin_words(problem: str) -> str:
    """The importer says ``--map`` (the command's option): here it is the mapping box."""
    return problem.replace("with --map '", f"in “{MAPPING_LABEL}”: '").replace(
        "--map ", f"{MAPPING_LABEL}, "
    )


def headline(report: csv_io.ImportReport) -> str:
    """The report's summary, in the words of the page (not the command's options)."""
    if report.committed or report.dry_run or report.problems:
        return report.summary()
    good = report.imported
    others = f" to import the other {good:,} row{'s' * (good != 1)}" if good else ""
    refused = report.refused
    return (
        f"{refused:,} row{'s' * (refused != 1)} refused; nothing was imported. Tick "
        f"“{UploadForm.base_fields['keep_good_rows'].label}”{others}."
    )


def outcome(report: csv_io.ImportReport) -> str:
    """How the result page colours the summary: Django's message levels."""
    if report.ok:
        return "success"
    return "warning" if report.committed or report.dry_run and report.imported else "error"


def result_of(report: csv_io.ImportReport, options: dict[str, bool]) -> dict[str, Any]:
    """What the result page shows, as the session keeps it (JSON)."""
    files = report.files
    return {
        "headline": headline(report),
        "level": outcome(report),
        "committed": report.committed,
        "dry_run": report.dry_run,
        "imported": report.imported,
        "refused": report.refused,
        "options": [UploadForm.base_fields[name].label for name, on in options.items() if on],
        "files": [
            {
                "file": f.file,
                "rows": f.rows,
                "columns": list(f.columns.items()),
                "unknown": list(f.unknown),
                "skipped": list(f.skipped),
                "emptied_links": f.emptied_links,
            }
            for f in files
        ],
        "errors": [
            {"file": e.file, "line": e.line, "field": e.field, "message": e.message}
            for e in report.errors[:ERRORS_SHOWN]
        ],
        "errors_not_shown": max(0, len(report.errors) - ERRORS_SHOWN),
    }


def keep_result(request: HttpRequest, result: dict[str, Any]) -> str:
    """Keep ``result`` in the session under a new token (the newest few only)."""
    kept = dict(request.session.get(SESSION_KEY, {}))
    token = secrets.token_urlsafe(9)
    kept[token] = result
    request.session[SESSION_KEY] = dict(list(kept.items())[-RESULTS_KEPT:])
    return token


class _Echo:
    """A file whose ``write`` hands back the line: ``csv.writer`` for a streamed body."""

    def write(self, text: str) -> str:
        return text


def csv_download(model: type[models.Model], things: models.QuerySet | None = None):
    """``model``'s things (or ``things``) as a CSV attachment, written while it is sent."""
    name = f"{data_types.label_of(model)}-{timezone.localdate():%Y-%m-%d}.csv"
    writer = csv.writer(_Echo())
    lines: Iterator[str] = (
        writer.writerow(row) for row in csv_io.export_rows(model, things=things)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


class ThingsCsvMixin:
    """The Upload CSV and Export CSV pages of ``ThingAdmin`` (mixed in before it)."""

    change_list_template = "admin/workflows/data/things_change_list.html"
    actions = ["export_selected_csv"]

    # --- URLs and permissions ---------------------------------------------------------

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        return [
            path("upload/", wrap(self.upload_view), name="{}_{}_upload".format(*info)),
            path(
                "upload/<str:token>/",
                wrap(self.upload_result_view),
                name="{}_{}_upload_result".format(*info),
            ),
            path("export/", wrap(self.export_view), name="{}_{}_export".format(*info)),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) or can_change_data_model(request)  # type: ignore[attr-defined]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_or_change_permission(request)  # type: ignore[attr-defined]

    def _url(self, name: str, *args: Any) -> str:
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        return reverse(
            "admin:{}_{}_{}".format(*info, name),
            args=args,
            current_app=self.admin_site.name,  # type: ignore[attr-defined]
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        extra = {
            "csv_upload_url": self._url("upload") if self.has_upload_permission(request) else "",
            "csv_export_url": self._url("export") if self.has_export_permission(request) else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)  # type: ignore[misc]

    # --- Export CSV -------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_export_permission(request):
            raise PermissionDenied
        return csv_download(self.model)  # type: ignore[attr-defined]

    @admin.action(description="Export the selected %(verbose_name_plural)s as CSV")
    def export_selected_csv(self, request: HttpRequest, queryset: models.QuerySet):
        if not self.has_export_permission(request):
            raise PermissionDenied
        return csv_download(self.model, queryset)  # type: ignore[attr-defined]

    # --- Upload CSV -------------------------------------------------------------------

    @csrf_exempt  # checked by _upload, once the size limit is in place (Django's docs)
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        limit = SizeLimit(request, upload_limit())
        request.upload_handlers.insert(0, limit)
        return self._upload(request, limit)

    @method_decorator(csrf_protect)
    def _upload(self, request: HttpRequest, limit: SizeLimit) -> HttpResponse:
        model = self.model  # type: ignore[attr-defined]
        if request.method != "POST":
            return self._upload_page(request, UploadForm())
        form = UploadForm(request.POST, request.FILES, size_limit=limit)
        if not form.is_valid():
            return self._upload_page(request, form)
        data = form.cleaned_data
        upload = data["file"]
        options = {
            name: data[name]
            for name in ("keep_good_rows", "dry_run", "fire_triggers", "empty_missing_links")
        }
        report = csv_io.import_csv(
            model,
            upload,
            user=request.user,
            name=upload.name,
            mapping=data["mapping"],
            built_in_columns=may_set_built_ins(request),
            **options,
        )
        if report.problems:
            for problem in report.problems:
                form.add_error(None, in_admin_words(problem))
            return self._upload_page(request, form, refused=True)
        data_type = DataType.objects.filter(pk=model.DATA_TYPE_ID).first()
        if report.committed and report.imported and data_type is not None:
            self.log_change(  # type: ignore[attr-defined]
                request,
                data_type,
                f"Imported {report.imported:,} {opts_plural(model, report.imported)} "
                f"from {upload.name}.",
            )
        token = keep_result(request, {**result_of(report, options), "file": upload.name})
        return HttpResponseRedirect(self._url("upload_result", token))

    def _upload_page(
        self, request: HttpRequest, form: UploadForm, *, refused: bool = False
    ) -> HttpResponse:
        opts, model = self.opts, self.model  # type: ignore[attr-defined]
        built_ins = may_set_built_ins(request)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"Upload CSV into {opts.verbose_name_plural}",
            "opts": opts,
            "form": form,
            "refused": refused,
            "columns": expected_columns(model, built_ins=built_ins),
            "built_ins": built_ins,
            "built_in_headers": [c.header for c in columns_of(model) if c.built_in],
            "limit": upload_limit(),
            "changelist_url": self._url("changelist"),
            "crumb": "Upload CSV",
        }
        return TemplateResponse(request, "admin/workflows/data/things_upload.html", context)

    def upload_result_view(self, request: HttpRequest, token: str) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        result = request.session.get(SESSION_KEY, {}).get(token)
        if result is None:
            raise Http404("This import's result is no longer kept: the list shows its things.")
        opts = self.opts  # type: ignore[attr-defined]
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": f"{result['file']} into {opts.verbose_name_plural}",
            "opts": opts,
            "result": result,
            "changelist_url": self._url("changelist"),
            "upload_url": self._url("upload"),
            "crumb": "Upload CSV",
        }
        return TemplateResponse(request, "admin/workflows/data/things_upload_result.html", context)


def expected_columns(model: type[models.Model], *, built_ins: bool) -> list[dict[str, Any]]:
    """The headers a file of ``model`` may have (what an export writes; Bubble's built-in
    fields only with ``built_ins``), and whether a new thing needs the column."""
    return [
        {"header": c.header, "required": c.required}
        for c in columns_of(model)
        if not c.read_only and (built_ins or not c.built_in)
    ]


def opts_plural(model: type[models.Model], count: int) -> str:
    meta = model._meta
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)
