"""An import from start to end: the data model and the workflows' shells made (or kept),
every type's rows copied, links resolved, deletions found (``--since-last``), files copied
(``--download-files``), and the report (docs/coming-from-bubble.md#bring-your-app-over).

An import that stopped before its end (killed, the network gone) is continued by the next
one of the same app: same plan, each type from its next page; a finished one is followed
by a new one, all rows again or, with ``since_last``, those changed since it started.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.utils import timezone

from workflows import data_types
from workflows.data_model import registry
from workflows.models import DataType, UserUniqueId
from workflows.transfer import ImportRefused

from . import definitions, lease
from .copying import copy_rows
from .deletions import find_deleted
from .files import download_files
from .links import resolve_links
from .models import BubbleImport, ImportedType
from .plan import Plan, TypePlan
from .problems import Problems
from .source import BubbleApp
from .targets import Target
from .values import is_link, reader

#: how users set a password, for the report
PASSWORDS = (
    "Bubble never exports passwords: each imported account has none usable. A user sets "
    "theirs from a password-reset link, which an API workflow with the "
    "send_password_reset_email step (Bubble's 'Send password reset email') emails them; "
    "their email and Bubble id are kept."
)


class ImportNotPossible(Exception):
    """Refused before anything is written (the message says why)."""


@dataclass
class Options:
    """How an import runs (kept with it: a continued import runs as it began)."""

    address: str = ""  # as the operator typed it
    version_test: bool = False
    types: list[str] = field(default_factory=list)  # their names in Bubble's URLs (all: [])
    since_last: bool = False
    apply_deletions: bool = False
    download_files: bool = False
    pages_in_flight: int = 4
    max_rps: float | None = None


def start_or_continue(app: BubbleApp, plan: Plan | None, options: Options) -> BubbleImport:
    """The import of ``app`` that stopped before its end, to continue; else a new one with
    ``plan`` (None: only continuing is possible)."""
    found = stopped_import(app)
    if found is not None:
        return found
    if plan is None:
        raise ImportNotPossible("no import of this app to continue")
    since = None
    if options.since_last:
        previous = (
            BubbleImport.objects.filter(app=app.base)
            .exclude(status=BubbleImport.Status.FAILED)
            .order_by("-started_at")
            .first()
        )
        if previous is None:
            raise ImportNotPossible(
                f"--since-last: {app.base} was never imported here; run a full import first"
            )
        since = previous.started_at
    return BubbleImport.objects.create(
        app=app.base, since=since, options=asdict(options), plan=plan.as_json()
    )


def stopped_import(app: BubbleApp) -> BubbleImport | None:
    """The import of ``app`` that stopped before its end, if any."""
    stopped = BubbleImport.objects.filter(app=app.base, status=BubbleImport.Status.RUNNING)
    return stopped.order_by("-started_at").first()


def run(
    app: BubbleApp,
    bubble_import: BubbleImport,
    *,
    user: Any = None,
    on_progress: Callable[[ImportedType], None] = lambda progress: None,
) -> BubbleImport:
    """Carry ``bubble_import`` out to its end; its status says whether every row arrived."""
    options = Options(**bubble_import.options)
    plan = Plan.from_json(bubble_import.plan)
    lease.claim(bubble_import)
    try:
        return _carry_out(app, bubble_import, plan, options, user=user, on_progress=on_progress)
    finally:
        lease.release(bubble_import)


def _carry_out(
    app: BubbleApp,
    bubble_import: BubbleImport,
    plan: Plan,
    options: Options,
    *,
    user: Any,
    on_progress: Callable[[ImportedType], None],
) -> BubbleImport:
    try:
        _claim_types(bubble_import, plan)
        made = definitions.apply(plan, user=user)
    except (ImportRefused, ImportNotPossible) as exc:  # nothing copied: the next one replans
        bubble_import.status = BubbleImport.Status.FAILED
        bubble_import.error = str(exc)[:2000]
        bubble_import.finished_at = timezone.now()
        bubble_import.token = ""  # it ended: the token goes
        bubble_import.save()
        raise
    try:
        registry.ensure_current()
        problems = Problems.of(bubble_import)
        scheme = urlsplit(app.address).scheme
        targets = [_target(bubble_import, typed, scheme) for typed in _ordered(plan)]
        constraints = _changed_since(bubble_import.since)
        for target in targets:
            copy_rows(
                app,
                bubble_import,
                target,
                problems,
                pages_in_flight=options.pages_in_flight,
                constraints=constraints,
                on_page=on_progress,
            )
        for target in targets:
            resolve_links(bubble_import, target, problems)
        deleted = (
            find_deleted(app, bubble_import, targets, apply=options.apply_deletions)
            if bubble_import.since is not None
            else None
        )
        files = (
            download_files(app, targets, problems, beat=lambda: lease.beat(bubble_import))
            if options.download_files
            else None
        )
    except BaseException as exc:
        _failed(bubble_import, exc)
        raise
    return _finish(bubble_import, plan, targets, problems, made, deleted, files)


def _ordered(plan: Plan) -> list[TypePlan]:
    """Users first: the accounts a profile points at exist before it."""
    return sorted(plan.types, key=lambda t: not t.users)


def _type_here(typed: TypePlan) -> str:
    """The data type a Bubble type's rows go to ("" for users without fields of their own)."""
    if typed.users:
        return definitions.profile_name(typed) if typed.fields else ""
    return typed.name


def _claim_types(bubble_import: BubbleImport, plan: Plan) -> None:
    """Each type's progress row, made before anything else; refused (``ImportNotPossible``)
    when a data type of the plan's names exists here and no import of this app made it:
    its things would be overwritten by rows the app chooses (a builder's ``Order``)."""
    ours = ImportedType.objects.filter(bubble_import__app=bubble_import.app).exclude(
        bubble_import__status=BubbleImport.Status.FAILED  # refused: it made no type
    )
    taken = [
        name
        for name in filter(None, map(_type_here, plan.types))
        if DataType.objects.filter(name__iexact=name).exists()
        and not ours.filter(data_type__iexact=name).exists()
    ]
    if taken:
        raise ImportNotPossible(
            f"data type{'s' * (len(taken) > 1)} {', '.join(taken)} exist{'s' * (len(taken) == 1)}"
            " here and no import of this app made it: rename it here first, or leave its "
            "Bubble type out (--types)"
        )
    for position, typed in enumerate(_ordered(plan)):
        ImportedType.objects.get_or_create(
            bubble_import=bubble_import,
            bubble_name=typed.bubble_name,
            defaults={"data_type": _type_here(typed) or "User", "position": position},
        )


def _target(bubble_import: BubbleImport, typed: TypePlan, scheme: str) -> Target:
    name = _type_here(typed)
    progress = ImportedType.objects.get(bubble_import=bubble_import, bubble_name=typed.bubble_name)
    model = data_types.get_model(name) if name else None
    target = Target(typed, model, progress)
    if model is None:
        return target
    if typed.users:
        target.profile_link = definitions.profile_link(typed)
    for planned in typed.fields:
        here = data_types.field_by_bubble_name(model, planned.key) or planned.name
        if is_link(planned):
            target.links.append((planned.key, here, planned.list))
        else:
            target.readers.append((planned.key, here, reader(planned, scheme=scheme)))
    return target


def _changed_since(since: datetime.datetime | None) -> list[dict[str, Any]] | None:
    if since is None:
        return None
    return [{"key": "Modified Date", "constraint_type": "greater than", "value": since.isoformat()}]


def _failed(bubble_import: BubbleImport, exc: BaseException) -> None:
    """A failure is said, and the import stays to continue (it is not finished)."""
    bubble_import.error = f"{type(exc).__name__}: {exc}"[:2000]
    BubbleImport.objects.filter(pk=bubble_import.pk).update(error=bubble_import.error)


def _finish(
    bubble_import: BubbleImport,
    plan: Plan,
    targets: list[Target],
    problems: Problems,
    made: Any,
    deleted: dict[str, Any] | None,
    files: dict[str, Any] | None,
) -> BubbleImport:
    types = []
    complete = True
    for target in targets:
        progress = target.progress
        progress.here = _rows_here(target)
        progress.save(update_fields=["here"])
        arrived = progress.copied == (progress.bubble_count or 0) and progress.refused == 0
        complete = complete and arrived
        types.append(
            {
                "bubble_name": progress.bubble_name,
                "data_type": progress.data_type,
                "path": f"/api/1.1/obj/{progress.data_type.lower()}",
                "bubble_count": progress.bubble_count,
                "copied": progress.copied,
                "refused": progress.refused,
                "here": progress.here,
                "complete": arrived,
            }
        )
    _, notes = definitions.document(plan)
    bubble_import.report = {
        "app": bubble_import.app,
        "source": plan.source,
        "since": bubble_import.since.isoformat() if bubble_import.since else None,
        "types": types,
        "not_mapped": [asdict(n) for n in [*plan.not_mapped, *notes]],
        "workflows_to_build": [definitions.shell_name(w.name) for w in plan.workflows],
        "data_model": [{"name": r.name, "status": r.status} for r in made.data_types],
        "users": {"accounts": _accounts(targets), "passwords": PASSWORDS},
        "deleted": deleted,
        "files": files,
        "problems": problems.as_json(),
    }
    bubble_import.status = (
        BubbleImport.Status.FINISHED if complete else BubbleImport.Status.INCOMPLETE
    )
    bubble_import.finished_at = timezone.now()
    bubble_import.error = ""
    bubble_import.token = ""  # it ended: the token goes
    bubble_import.save()
    return bubble_import


def _rows_here(target: Target) -> int:
    if target.typed.users:
        return UserUniqueId.objects.count()
    assert target.model is not None
    return target.model._default_manager.count()


def _accounts(targets: list[Target]) -> int | None:
    if not any(t.typed.users for t in targets):
        return None
    return get_user_model()._default_manager.filter(bubble_unique_id__isnull=False).count()
