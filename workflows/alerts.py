"""Emails to the admins when something goes wrong (docs/operations.md#failure-emails).

Two alerts, each about one workflow:

* **failing**: ``ALERT_FAILURES`` of its runs failed within ``ALERT_WINDOW`` (every failed
  run counts, retried attempts too); checked each time one of its runs fails for good;
* **depth**: one of its runs failed for good because it went deeper than ``MAX_DEPTH``
  (runs that keep scheduling or triggering each other).

Each kind is sent at most once per workflow per ``ALERT_PERIOD``: the ``FailureAlert`` row
of (kind, workflow) is claimed by one guarded UPDATE (``sent_at`` older than the period)
or, the first time, by its unique insert, so a storm of failures across any number of
processes is one email. The claim is made in the transaction that records the failure
and the email is sent after it commits. Recipients: ``ALERT_EMAILS``, else Django's
``ADMINS``; without either the alert is only logged (``workflows.alerts``, a warning).

An email says which workflow, how many runs failed, and the last run's id, error code,
message (masked as in the run log) and step: never its parameters or result.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import conf
from .choices import RunStatus
from .durations import describe, parse_duration
from .exceptions import DepthExceeded
from .masking import mask_text
from .models import FailureAlert, Run

logger = logging.getLogger("workflows.alerts")

FAILING = "failing"
DEPTH = "depth"
#: the longest error message an email quotes
MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Limits:
    """The alert settings, read."""

    failures: int
    window: datetime.timedelta
    period: datetime.timedelta


def limits() -> Limits:
    """``ALERT_FAILURES``, ``ALERT_WINDOW``, ``ALERT_PERIOD``; ``ValueError`` naming the one
    that is wrong (``manage.py check`` reports it: workflows/checks.py)."""
    failures = conf.get("ALERT_FAILURES")
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
        raise ValueError(f"BUBBLE_ALERT_FAILURES: {failures!r} is not a whole number ≥ 0")
    return Limits(
        failures,
        parse_duration(conf.get("ALERT_WINDOW"), "BUBBLE_ALERT_WINDOW"),
        parse_duration(conf.get("ALERT_PERIOD"), "BUBBLE_ALERT_PERIOD"),
    )


def recipients() -> list[str]:
    """``ALERT_EMAILS``, else the addresses of ``ADMINS``."""
    listed = conf.get("ALERT_EMAILS")
    if isinstance(listed, str):
        listed = listed.split(",")
    chosen = [address.strip() for address in listed or [] if address.strip()]
    if chosen:
        return chosen
    return [admin[1] if isinstance(admin, list | tuple) else admin for admin in settings.ADMINS]


def run_failed(run: Run, step: int | None = None, *, now: datetime.datetime | None = None) -> None:
    """``run`` failed for good (its failure written, in this transaction): alert the admins
    if it went too deep, or if its workflow now has too many failures."""
    now = now or timezone.now()
    rules = limits()
    name = run.workflow_name
    if run.error_code == DepthExceeded.code and _claim(DEPTH, name, now, rules.period):
        _send(DEPTH, run, step, rules, count=None)
    if not rules.failures or _sent_lately(FAILING, name, now, rules.period):
        return  # the usual case in a storm: one indexed read
    count = _failures(run, now - rules.window, rules.failures)
    if count >= rules.failures and _claim(FAILING, name, now, rules.period):
        _send(FAILING, run, step, rules, count=count)


def _failures(run: Run, since: datetime.datetime, enough: int) -> int:
    """How many runs of ``run``'s workflow failed since ``since``, counted up to ``enough``
    (an index range on the workflow's runs by start)."""
    runs = Run.objects.filter(status=RunStatus.FAILED, started_at__gte=since)
    if run.workflow_id is not None:
        runs = runs.filter(workflow_id=run.workflow_id)
    else:
        runs = runs.filter(workflow_name=run.workflow_name)
    return runs[:enough].count()


def _sent_lately(kind: str, name: str, now: datetime.datetime, period: datetime.timedelta):
    return FailureAlert.objects.filter(
        kind=kind, workflow_name=name, sent_at__gt=now - period
    ).exists()


def _claim(kind: str, name: str, now: datetime.datetime, period: datetime.timedelta) -> bool:
    """Whether this process is the one to send alert ``kind`` about ``name`` now: the row's
    ``sent_at`` moved to ``now`` if it is older than ``period`` (one UPDATE, guarded by that
    age), or the row made (the unique constraint lets one insert win)."""
    alerts = FailureAlert.objects.filter(kind=kind, workflow_name=name)
    if alerts.filter(sent_at__lte=now - period).update(sent_at=now):
        return True
    if alerts.exists():
        return False
    try:
        with transaction.atomic():
            FailureAlert.objects.create(kind=kind, workflow_name=name, sent_at=now)
    except IntegrityError:
        return False  # another process made it first
    return True


def _send(kind: str, run: Run, step: int | None, rules: Limits, *, count: int | None) -> None:
    subject, body = message(kind, run, step, rules, count=count)
    logger.warning("%s", subject)
    to = recipients()
    if to:
        prefix = getattr(settings, "EMAIL_SUBJECT_PREFIX", "")
        transaction.on_commit(lambda: _deliver(prefix + subject, body, to))


def _deliver(subject: str, body: str, to: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception:  # noqa: BLE001 - an alert that cannot be sent must not fail anything
        logger.exception("the alert email %r could not be sent", subject)


def message(
    kind: str, run: Run, step: int | None, rules: Limits, *, count: int | None
) -> tuple[str, str]:
    """The email's subject and body."""
    name = run.workflow_name
    if kind == DEPTH:
        subject = f"Workflow {name} went deeper than BUBBLE_MAX_DEPTH"
        opening = (
            f"A run of workflow {name} failed because it would have nested deeper than "
            f"BUBBLE_MAX_DEPTH ({conf.get('MAX_DEPTH')}): workflows that keep scheduling, "
            "triggering or calling each other are stopped there."
        )
    else:
        subject = f"Workflow {name} is failing: {count} failed runs in {describe(rules.window)}"
        opening = (
            f"{count} runs of workflow {name} failed within {describe(rules.window)} "
            f"(BUBBLE_ALERT_FAILURES = {rules.failures}, BUBBLE_ALERT_WINDOW)."
        )
    error = mask_text(run.error_message or "")
    if len(error) > MESSAGE_CHARS:
        error = error[:MESSAGE_CHARS] + " […]"
    lines = [
        opening,
        "",
        f"The last one: run {run.pk} ({run.get_source_display()}), started "
        f"{run.started_at:%Y-%m-%d %H:%M:%S %Z}.",
        f"Error: {run.error_code}" + (f" at step {step}" if step is not None else ""),
        error,
    ]
    link = _run_link(run)
    if link:
        lines += ["", f"Its log: {link}"]
    lines += [
        "",
        f"No other email of this kind about {name} is sent for {describe(rules.period)} "
        "(BUBBLE_ALERT_PERIOD).",
    ]
    return subject, "\n".join(lines) + "\n"


def _run_link(run: Run) -> str:
    """The run's admin page: under ``SITE_URL`` when set, else the path alone."""
    try:
        path = reverse("admin:workflows_run_change", args=[run.pk])
    except NoReverseMatch:
        return ""
    return str(conf.get("SITE_URL") or "").rstrip("/") + path
