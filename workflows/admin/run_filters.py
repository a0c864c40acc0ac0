"""The Runs list's filters: workflow, time window and user, each answered from an index.

* workflow: listed from the workflow table, never ``DISTINCT`` over runs;
* time window: the last hour / 24 hours / 7 days / 30 days, or from–to (a date, or a
  date and time, in the site's time zone), on ``started_at`` (``run_started_idx``);
* user: a username or an email, looked up first (the username's unique index, the email's
  case-insensitive one), then the runs of that user (``run_actor_started_idx``).

A value the filter cannot read (a date that is not one, a user nobody has) is said in a
message naming the field, and filters nothing or, for a user, selects no run: never an
error page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..models import Workflow
from .paging import id_number

#: the time window choices: query value → (label, length)
WINDOWS: dict[str, tuple[str, datetime.timedelta]] = {
    "1h": ("Last hour", datetime.timedelta(hours=1)),
    "24h": ("Last 24 hours", datetime.timedelta(hours=24)),
    "7d": ("Last 7 days", datetime.timedelta(days=7)),
    "30d": ("Last 30 days", datetime.timedelta(days=30)),
}


class WorkflowFilter(admin.SimpleListFilter):
    """Lists workflows from their own (small) table, not ``DISTINCT`` over the listed rows
    (runs, scheduled runs: any model with a ``workflow`` foreign key)."""

    title = "workflow"
    parameter_name = "workflow__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Workflow.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(workflow_id=id_number(value))
        except ValueError:
            raise IncorrectLookupParameters(f"bad workflow id {value!r}") from None


class FormFilter(admin.ListFilter):
    """A filter whose values are typed in a small GET form (its template), which sends the
    list's other parameters along as hidden fields."""

    parameters: tuple[str, ...] = ()

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any):
        super().__init__(request, params, model, model_admin)
        self.request = request
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if str(value).strip():
                    self.used_parameters[name] = str(value).strip()

    def expected_parameters(self) -> list[str]:
        return list(self.parameters)

    def has_output(self) -> bool:
        return True

    def value(self, name: str) -> str:
        return self.used_parameters.get(name, "")

    def hidden(self, changelist: Any) -> list[tuple[str, str]]:
        """The list's other parameters, for the form's hidden fields."""
        return [
            (name, value)
            for name, value in changelist.params.items()
            if name not in self.parameters and name != "e"
        ]

    def error(self, text: str) -> None:
        messages.error(self.request, text)


def _moment(raw: str, *, end: bool) -> datetime.datetime | None:
    """A date (the day's start, or with ``end`` the next day's) or a date and time (as
    ``<input type="datetime-local">`` sends it), in the site's time zone; None if neither."""
    raw = raw.strip().replace(" ", "T", 1)
    try:
        day = parse_date(raw)
        if day is not None:
            moment = datetime.datetime.combine(day, datetime.time.min)
            if end:
                moment += datetime.timedelta(days=1)
        else:
            moment = parse_datetime(raw)
    except (ValueError, OverflowError):  # not a date, or one past the year 9999
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class TimeWindowFilter(FormFilter):
    """When the run started: a recent window, or from–to."""

    title = "started"
    template = "admin/workflows/run/filter_time.html"
    parameters = ("started", "started_from", "started_to")

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        window = self.value("started")
        if window:
            if window not in WINDOWS:
                self.error(f"Started: unknown window {window!r}; choose one of the links.")
            else:
                queryset = queryset.filter(started_at__gte=timezone.now() - WINDOWS[window][1])
        for name, label, lookup, end in (
            ("started_from", "From", "started_at__gte", False),
            ("started_to", "To", "started_at__lt", True),
        ):
            raw = self.value(name)
            if not raw:
                continue
            moment = _moment(raw, end=end)
            if moment is None:
                self.error(
                    f"Started {label}: {raw!r} is not a date; write 2026-01-31 or 2026-01-31 14:00."
                )
                continue
            queryset = queryset.filter(**{lookup: moment})
        return queryset

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        self.form_data = self.form(changelist)  # the template's (it gets no changelist)
        current = self.value("started")
        ranged = bool(self.value("started_from") or self.value("started_to"))
        yield {
            "selected": not current and not ranged,
            "query_string": changelist.get_query_string(remove=list(self.parameters)),
            "display": "Any time",
        }
        for value, (label, _) in WINDOWS.items():
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string(
                    {"started": value}, remove=["started_from", "started_to"]
                ),
                "display": label,
            }

    def form(self, changelist: Any) -> dict[str, Any]:
        return {
            "from": self.value("started_from"),
            "to": self.value("started_to"),
            "hidden": [(n, v) for n, v in self.hidden(changelist) if n != "started"],
        }


def find_users(text: str) -> list[Any]:
    """Users whose username is ``text``, or whose email is (in any case): two indexed
    lookups, never a scan of the users."""
    model = get_user_model()
    text = text.strip()
    found = list(model._default_manager.filter(**{model.USERNAME_FIELD: text})[:1])
    if found:
        return found
    email = model.get_email_field_name()
    try:
        model._meta.get_field(email)
    except Exception:  # noqa: BLE001 - a user model without email: usernames only
        return []
    if "@" not in text:
        return []
    # the expression and condition of the unique index bubble_user_email_unique_ci
    return list(
        model._default_manager.annotate(_email=Lower(email))
        .filter(_email=text.lower())
        .exclude(**{email: ""})[:1]
    )


class UserFilter(FormFilter):
    """Runs of one user, by username or email."""

    title = "user"
    template = "admin/workflows/run/filter_user.html"
    parameters = ("user",)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        text = self.value("user")
        if not text:
            return queryset
        users = find_users(text)
        if not users:
            self.error(f"User: nobody has the username or email {text!r}.")
            return queryset.none()
        return queryset.filter(actor__in=users)

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        self.form_data = self.form(changelist)  # the template's (it gets no changelist)
        yield {
            "selected": not self.value("user"),
            "query_string": changelist.get_query_string(remove=list(self.parameters)),
            "display": "Anyone",
        }

    def form(self, changelist: Any) -> dict[str, Any]:
        return {"user": self.value("user"), "hidden": self.hidden(changelist)}
