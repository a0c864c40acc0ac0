"""What a run's page shows, in the order a builder asks: how it ended, which workflow, as
whom, started how and when, for how long; the error first when it failed, naming the
step; then each step (its condition, inputs and output as values, its error); then the
runs it is linked to. Values go through ``display.Values``; the raw JSON is kept for the
page's "raw JSON" folds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..choices import RunSource, RunStatus, StepStatus
from ..models import Run, StepRun
from .display import Values, admin_link, duration, json_text

#: how each source reads on the page
SOURCE_WORDS = {
    RunSource.API: "an API call (/api/1.1/wf/…)",
    RunSource.ADMIN: "the admin (Run now or Re-run)",
    RunSource.CUSTOM_EVENT: "a custom event, called by another run",
    RunSource.SCHEDULED: "the scheduler (a scheduled run)",
    RunSource.ON_A_LIST: "the scheduler (one item of a list scheduled by “schedule on a list”)",
    RunSource.RECURRING: "a recurring event",
    RunSource.TRIGGER: "a database trigger",
    RunSource.CLI: "code or the command line",
}
#: a run's status: (css modifier, words); the words carry the meaning, the colour helps
STATUS_WORDS = {
    RunStatus.SUCCEEDED: ("ok", "✓ Succeeded"),
    RunStatus.FAILED: ("failed", "✗ Failed"),
    RunStatus.RUNNING: ("running", "… Running"),
    RunStatus.CONDITION_NOT_MET: ("skipped", "– Condition not met: no step ran"),
}
STEP_WORDS = {
    StepStatus.SUCCEEDED: ("ok", "✓ Succeeded"),
    StepStatus.FAILED: ("failed", "✗ Failed"),
    StepStatus.SKIPPED: ("skipped", "– Skipped: its “only when” was false"),
    StepStatus.NOT_RUN: ("not-run", "– Not run: an earlier step ended the run"),
}
#: linked runs shown at most (children, re-runs)
SHOWN_LINKS = 100


def ran_what(version: int | None, revision: int) -> str:
    """``version 3``, or ``revision 5 of development``: what a run ran (docs/versions.md)."""
    return f"version {version}" if version is not None else f"revision {revision} of development"


def status_badge(status: str, words: dict[str, tuple[str, str]] = STATUS_WORDS) -> SafeString:
    css, text = words.get(status, ("other", status))
    return format_html('<span class="run-badge run-badge-{}">{}</span>', css, text)


@dataclass
class StepView:
    step: StepRun
    badge: SafeString
    css: str
    title: str
    condition: str
    inputs: SafeString | None
    output: SafeString | None
    inputs_json: str
    output_json: str
    duration: str


@dataclass
class RunView:
    """Everything the run page shows (templates/admin/workflows/run/change_form.html)."""

    run: Run
    badge: SafeString
    status_css: str
    workflow: Any
    ran_as: Any
    source: Any
    started: Any
    finished: Any
    duration: str
    error_step: StepRun | None
    steps: list[StepView]
    params: SafeString
    params_json: str
    result: SafeString | None
    result_json: str
    parent: Any = None
    children: list[Any] = field(default_factory=list)
    more_children: bool = False
    rerun_of: Any = None
    reruns: list[Any] = field(default_factory=list)
    rerun_by: Any = None
    related: list[Any] = field(default_factory=list)

    @property
    def has_links(self) -> bool:
        return bool(self.parent or self.children or self.rerun_of or self.reruns or self.related)


def _run_link(run: Run) -> Any:
    text = f"{run.workflow_name} · {run.started_at:%Y-%m-%d %H:%M:%S}"
    return format_html("{} {}", admin_link(run, text), status_badge(run.status))  # says it once


def _user(request: HttpRequest, user: Any) -> Any:
    if user is None:
        return format_html("<em>{}</em>", "anonymous (nobody logged in)")
    shown = str(user)
    email = getattr(user, "email", "")
    if email and email != shown:
        shown = f"{shown} <{email}>"
    opts = user._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") and not (
        request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    ):
        return shown
    try:
        return admin_link(user, shown)
    except NoReverseMatch:
        return shown


def _step_title(step: StepRun) -> str:
    name = step.label or step.step_id
    return (
        f"Step {step.position}: {name} ({step.action_type})"
        if name
        else (f"Step {step.position}: {step.action_type}")
    )


def _condition(step: StepRun) -> str:
    if step.condition_result is None:
        return "no “only when”" if step.status != StepStatus.NOT_RUN else "not evaluated"
    return f"“only when” was {'true' if step.condition_result else 'false'}"


def _rerun_by(run: Run) -> Any:
    """The admin user who asked for this re-run (the admin's history of the run)."""
    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Run),
            object_id=str(run.pk),
            action_flag=ADDITION,
        )
        .select_related("user")
        .first()
    )
    return entry.user if entry else None


def run_view(request: HttpRequest, run: Run, admin_site: Any, links: list[Any]) -> RunView:
    """The page of ``run`` for the viewer of ``request``; ``links``: the other apps' HTML
    about the run (``runs.RUN_LINKS``)."""
    values = Values(request, admin_site)
    steps = list(run.steps.order_by("position"))
    views = []
    for step in steps:
        css, _ = STEP_WORDS.get(step.status, ("other", step.status))
        views.append(
            StepView(
                step=step,
                badge=status_badge(step.status, STEP_WORDS),
                css=css,
                title=_step_title(step),
                condition=_condition(step),
                inputs=values.html(step.inputs) if step.inputs is not None else None,
                output=values.html(step.output) if step.output is not None else None,
                inputs_json=values.json(step.inputs),
                output_json=values.json(step.output),
                duration=duration(step.duration_ms) if step.status != StepStatus.NOT_RUN else "-",
            )
        )
    children = list(run.children.order_by("started_at")[: SHOWN_LINKS + 1])
    reruns = list(run.reruns.order_by("started_at")[:SHOWN_LINKS])
    source: Any = SOURCE_WORDS.get(run.source, run.get_source_display())
    if run.rerun_of_id is not None:
        source = format_html("{}: a re-run", source)
    ran = ran_what(run.version, run.workflow_revision) + (", a test" if run.test else "")
    workflow = (
        format_html("{} <span class='run-muted'>({})</span>", admin_link(run.workflow), ran)
        if run.workflow is not None
        else format_html(
            "{} <em>(deleted)</em> <span class='run-muted'>({})</span>", run.workflow_name, ran
        )
    )
    error_step = next((s for s in steps if s.status == StepStatus.FAILED), None)
    css, _ = STATUS_WORDS.get(run.status, ("other", run.status))
    return RunView(
        run=run,
        badge=status_badge(run.status),
        status_css=css,
        workflow=workflow,
        ran_as=_user(request, run.actor),
        source=source,
        started=run.started_at,
        finished=run.finished_at,
        duration=duration(run.duration_ms),
        error_step=error_step,
        steps=views,
        params=values.html(run.params)
        if run.params
        else format_html('<span class="wf-empty">{}</span>', "none"),
        params_json=values.json(run.params) or json_text(None),
        result=values.html(run.result) if run.result is not None else None,
        result_json=values.json(run.result),
        parent=_run_link(run.parent) if run.parent_id else None,
        children=[_run_link(child) for child in children[:SHOWN_LINKS]],
        more_children=len(children) > SHOWN_LINKS,
        rerun_of=_run_link(run.rerun_of) if run.rerun_of_id else None,
        reruns=[_run_link(r) for r in reruns],
        rerun_by=_rerun_by(run) if run.rerun_of_id else None,
        related=links,
    )
