"""Export and import of workflow files (docs/import-export.md): the services behind
``export_workflows``, ``import_workflows`` and ``load_examples`` (the commands only call them
and print).

A file is ``{version: 2, option_sets: [...], data_types: [...], workflows: [...],
privacy_rules: [...]}`` or a bare list of workflows. Version 1 files (before steps counted
from 1) are read too: their ``steps[N]`` are renumbered as they are read. Import is
all-or-nothing: every file is read and every workflow validated (against the others in the
same files) before anything is written, in one transaction. When the files change the data
model (``data_model.transfer``), that transaction is one ``schema.schema_change``: the
option sets and data types are made first, then the privacy rules and workflows, which may
name them, are checked and saved; a refusal anywhere rolls the tables back too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from . import audit, yaml_loader
from .data_model import schema
from .data_model import transfer as data_model_transfer
from .data_model.transfer import Entry, Plan, SectionProblem
from .definitions import normalized, renumber_steps, save_definition, workflow_definition
from .engine.advice import workflow_advice
from .engine.cache import get_compiled
from .engine.compiler import Catalog, WorkflowInfo, compile_definition
from .engine.params import ParamSpec
from .exceptions import DefinitionError, Issue, WorkflowError, WorkflowNotFound
from .models import Workflow
from .privacy.transfer import RuleSource, check_rules, export_rules, rule_statuses, save_rules
from .yaml_loader import LineMap

FILE_VERSION = 2
#: versions this one reads; a version 1 file's ``steps[N]`` counted from 0
READABLE_VERSIONS = (1, 2)
FILE_KEYS = ("version", *data_model_transfer.SECTIONS, "workflows", "privacy_rules")


class ImportStatus:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # exists and differs, left alone (``keep_existing``)


@dataclass(frozen=True)
class Problem:
    """One reason an import was refused, printed as ``file:line: workflow 'x', where: what``."""

    file: str
    line: int | None
    message: str
    workflow: str | None = None
    where: str = ""

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        subject = [f"workflow {self.workflow!r}"] if self.workflow else []
        if self.where:
            subject.append(self.where)
        if not subject:
            return f"{location}: {self.message}"
        return f"{location}: {', '.join(subject)}: {self.message}"


class ImportRefused(WorkflowError):
    """The files cannot be imported; nothing was written. ``problems`` lists every reason."""

    code = "INVALID_DEFINITION"
    http_status = 400

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class WorkflowFile:
    """A file's contents given directly (tests, the admin), instead of a path to read."""

    name: str
    text: str


@dataclass
class _Source:
    """One workflow definition as read, and how to point at its lines."""

    definition: Any
    file: str
    lines: LineMap
    prefix: tuple[str | int, ...]

    @property
    def name(self) -> str | None:
        d = self.definition
        name = d.get("name") if isinstance(d, Mapping) else None
        return name if isinstance(name, str) and name else None

    def problem(self, path: tuple[str | int, ...], message: str) -> Problem:
        return Problem(
            self.file,
            self.lines.line((*self.prefix, *path)),
            message,
            workflow=self.name or f"#{self.prefix[-1] + 1}",
            where=Issue(path, "").where,
        )


@dataclass(frozen=True)
class ImportResult:
    name: str
    status: str
    file: str
    #: what the import does to it, when there is more to say (a data type's new fields)
    notes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    results: list[ImportResult] = field(default_factory=list)
    dry_run: bool = False
    rules: list[ImportResult] = field(default_factory=list)  # privacy rules
    option_sets: list[ImportResult] = field(default_factory=list)
    data_types: list[ImportResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def changed(self) -> bool:
        return any(
            r.status in (ImportStatus.CREATED, ImportStatus.UPDATED)
            for r in (*self.results, *self.rules, *self.option_sets, *self.data_types)
        )

    def advice(self) -> list[str]:
        """What works but may hurt in the workflows written (``engine.advice``)."""
        written = [
            r.name
            for r in self.results
            if r.status in (ImportStatus.CREATED, ImportStatus.UPDATED) and not self.dry_run
        ]
        return [
            advice
            for workflow in Workflow.objects.filter(name__in=written)
            for advice in workflow_advice(get_compiled(workflow))
        ]

    def summary(self) -> str:
        """``1 created, 0 updated, 0 unchanged`` (the workflows), then the privacy rules';
        with option sets or data types, every part is named: ``option sets: ...; data
        types: ...; workflows: ...; privacy rules: ...``."""
        rules = f"; privacy rules: {_counts(self.rules)}" if self.rules else ""
        if self.option_sets or self.data_types:
            text = "; ".join(
                f"{label}: {_counts(results)}"
                for label, results in (
                    ("option sets", self.option_sets),
                    ("data types", self.data_types),
                    ("workflows", self.results),
                )
                if results or label == "workflows"
            )
            text += rules
        else:
            text = _counts(self.results) + rules
        return text + (" (dry run: nothing written)" if self.dry_run else "")


def _counts(results: list[ImportResult]) -> str:
    statuses = (ImportStatus.CREATED, ImportStatus.UPDATED, ImportStatus.UNCHANGED)
    parts = [f"{sum(1 for r in results if r.status == s)} {s}" for s in statuses]
    kept = sum(1 for r in results if r.status == ImportStatus.KEPT)
    if kept:
        parts.append(f"{kept} kept as edited")
    return ", ".join(parts)


def export_definitions(names: Sequence[str] = ()) -> dict[str, Any]:
    """The file (docs/import-export.md) for the named workflows, by name; none named: every
    option set and data type defined without code (when there are any), workflow and
    privacy rule."""
    workflows = Workflow.objects.prefetch_related("parameters", "actions").order_by("name")
    if names:
        workflows = workflows.filter(name__in=names)
        missing = sorted(set(names) - {w.name for w in workflows})
        if missing:
            raise WorkflowNotFound(f"no workflow named {', '.join(map(repr, missing))}")
    document: dict[str, Any] = {"version": FILE_VERSION}
    if not names:
        document.update(data_model_transfer.export_sections())
    document["workflows"] = [workflow_definition(w) for w in workflows]
    if not names:
        document["privacy_rules"] = export_rules()
    return document


class _DryRun(Exception):
    """Rolls back a dry run's changes of the data model (made to check the workflows)."""


def import_definitions(
    files: Iterable[str | os.PathLike[str] | WorkflowFile],
    *,
    dry_run: bool = False,
    keep_existing: bool = False,
    delete_missing_fields: bool = False,
    user: Any = None,
    audit_source: str = "import",
) -> ImportReport:
    """Validate everything in ``files`` together, then save it all or none.

    Option sets and data types are checked and compared with the stored ones first; when
    they change anything, the import runs in one ``schema.schema_change`` (so on SQLite it
    must not be called inside ``transaction.atomic()``), they are made, and then the
    privacy rules and workflows are checked against them. A dry run makes the data model's
    changes too, to check the workflows against them, and rolls them back. Workflows in the
    files may refer to each other (in any order); the others they refer to must exist
    already. With ``keep_existing`` a workflow, rule, option set or data type that exists
    and differs is left as it is (``load_examples`` must not undo a builder's edits). An
    import deletes nothing, but for ``delete_missing_fields``: the stored fields of a data
    type in the files that the files do not list are deleted (restorably). Each change is
    recorded in the audit trail as made by ``user`` (None: the command line). Raises
    ``ImportRefused``.
    """
    read = _Read()
    for file in files:
        read += _read_file(file)
    problems = read.problems + _duplicate_names(read.sources)
    plan = data_model_transfer.plan_sections(
        read.option_sets,
        read.data_types,
        delete_missing_fields=delete_missing_fields,
        keep_existing=keep_existing,
    )
    problems += [_section_problem(p) for p in plan.problems]
    if plan.problems:  # the workflows and rules may name what could not be checked
        raise ImportRefused(problems)
    outer = (
        schema.schema_change(user=user, source=audit_source)
        if plan.changes
        else transaction.atomic()
    )
    try:
        with outer:
            statuses, rule_status = _import_in_transaction(
                read,
                plan,
                problems,
                dry_run=dry_run,
                keep_existing=keep_existing,
                user=user,
                audit_source=audit_source,
            )
            if dry_run and plan.changes:
                raise _DryRun
    except _DryRun:
        pass
    except schema.SchemaError as exc:  # SQLite inside atomic(), or refused at the commit
        file = (read.data_types or read.option_sets)[0].file
        raise ImportRefused([Problem(file, None, exc.message)]) from exc
    return ImportReport(
        [ImportResult(s.name or "?", statuses[id(s)], s.file) for s in read.sources],
        dry_run=dry_run,
        rules=[ImportResult(r.name, rule_status[id(r)], r.file) for r in read.rules],
        option_sets=[_entry_result(p.entry, p.status, p.notes) for p in plan.option_sets],
        data_types=[
            _entry_result(p.entry, p.status, p.notes(delete_missing=delete_missing_fields))
            for p in plan.data_types
        ],
    )


def _import_in_transaction(
    read: _Read,
    plan: Plan,
    problems: list[Problem],
    *,
    dry_run: bool,
    keep_existing: bool,
    user: Any,
    audit_source: str,
) -> tuple[dict[int, str], dict[int, str]]:
    """The data model's changes, then the privacy rules' and workflows' checks and saves;
    raises ``ImportRefused`` (the caller's transaction rolls everything back)."""
    if plan.changes:
        refused = plan.apply(user=user, source=audit_source)
        if refused:  # the workflows may name what was not made
            raise ImportRefused([*problems, *map(_section_problem, refused)])
    sources, rules = read.sources, read.rules
    problems += [_rule_problem(source, issue) for source, issue in check_rules(rules)]
    stored = _stored_definitions({s.name for s in sources if s.name})
    statuses = {id(s): _status(s, stored) for s in sources}
    if keep_existing:
        statuses = {
            key: ImportStatus.KEPT if status == ImportStatus.UPDATED else status
            for key, status in statuses.items()
        }
    to_save = [s for s in sources if statuses[id(s)] != ImportStatus.KEPT]
    rule_status = rule_statuses(rules)
    if keep_existing:
        rule_status = {
            key: ImportStatus.KEPT if status == ImportStatus.UPDATED else status
            for key, status in rule_status.items()
        }
    overlay = {s.name: workflow_info(s.definition) for s in to_save if s.name}
    catalog = Catalog(overlay=overlay)
    for source in to_save:
        problems += _validate(source, catalog)
    updated = {n for n in overlay if stored.get(n) is not None}
    problems += _broken_dependents(stored_names=updated, in_files=set(overlay), catalog=catalog)
    if problems:
        raise ImportRefused(problems)
    if not dry_run:
        for source in to_save:
            if statuses[id(source)] != ImportStatus.UNCHANGED:
                _save_recorded(source, stored, user=user, audit_source=audit_source)
        save_rules(rules, rule_status, user=user, audit_source=audit_source)
    return statuses, rule_status


def _entry_result(entry: Entry, status: str, notes: list[str]) -> ImportResult:
    """A data type's or option set's line of the report (a kept one's changes were not
    made: nothing to say of them)."""
    shown = () if status == ImportStatus.KEPT else tuple(notes)
    return ImportResult(entry.name or "?", status, entry.file, shown)


def _section_problem(problem: SectionProblem) -> Problem:
    return Problem(problem.file, problem.line, problem.message)


def _rule_problem(source: RuleSource, issue: Issue) -> Problem:
    line = source.line_of(issue.path)
    where = f"privacy rule {source.name!r}" + (f", {issue.where}" if issue.path else "")
    return Problem(source.file, line, f"{where}: {issue.message}")


def _save_recorded(
    source: _Source, stored: Mapping[str, dict[str, Any]], *, user: Any, audit_source: str
) -> None:
    """Save one workflow and record the change (nothing when the stored one was equal)."""
    workflow, changed = save_definition(source.definition)
    if not changed:
        return
    before = stored.get(workflow.name)
    audit.record_change(
        kind=audit.Kind.WORKFLOW,
        name=workflow.name,
        action=audit.Action.CREATED if before is None else audit.Action.CHANGED,
        before=before,
        after=audit.workflow_snapshot(workflow.pk),
        user=user,
        source=audit_source,
    )


@dataclass
class _Read:
    """What the files hold, and what is wrong with their shape."""

    sources: list[_Source] = field(default_factory=list)
    rules: list[RuleSource] = field(default_factory=list)
    option_sets: list[Entry] = field(default_factory=list)
    data_types: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __iadd__(self, other: _Read) -> _Read:
        self.sources += other.sources
        self.rules += other.rules
        self.option_sets += other.option_sets
        self.data_types += other.data_types
        self.problems += other.problems
        return self


def _read_file(file: str | os.PathLike[str] | WorkflowFile) -> _Read:
    if isinstance(file, WorkflowFile):
        name, text = file.name, file.text
    else:
        name = os.fspath(file)
        try:
            text = Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return _Read(problems=[Problem(name, None, f"cannot read the file: {exc}")])
    suffix = Path(name).suffix.lower()
    as_json = suffix == ".json" or (
        suffix not in (".yaml", ".yml") and text.lstrip()[:1] in ("{", "[")
    )
    try:
        data, lines = yaml_loader.load(text, json_syntax=as_json)
    except yaml_loader.FileFormatError as exc:
        return _Read(problems=[Problem(name, exc.line, exc.message)])
    return _document_sources(data, name, lines)


def _document_sources(data: Any, file: str, lines: LineMap) -> _Read:
    """The option sets, data types, workflows and privacy rules of a parsed document, or
    why its shape is wrong."""
    if isinstance(data, list):
        return _Read(sources=[_Source(d, file, lines, (i,)) for i, d in enumerate(data)])
    if not isinstance(data, Mapping):
        shape = f"{{version: {FILE_VERSION}, workflows: [...]}} or a list of workflows"
        return _Read(problems=[Problem(file, lines.line(()), f"expected {shape}")])
    problems = [
        Problem(file, lines.line((key,)), f"unknown key {key!r} (keys: {', '.join(FILE_KEYS)})")
        for key in data
        if key not in FILE_KEYS
    ]
    version = data.get("version", FILE_VERSION)
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        readable = " and ".join(map(str, READABLE_VERSIONS))
        message = f"version {data['version']!r} is not supported (this reads {readable})"
        problems.append(Problem(file, lines.line(("version",)), message))
    option_sets, data_types, found = data_model_transfer.read_sections(
        data, file, _line_finder(lines, ())
    )
    problems += [_section_problem(p) for p in found]
    rules = data.get("privacy_rules") or []
    if not isinstance(rules, list):
        problems.append(
            Problem(file, lines.line(("privacy_rules",)), "privacy_rules must be a list")
        )
        rules = []
    rule_sources = [
        RuleSource(d, file, _line_finder(lines, ("privacy_rules", i)), i)
        for i, d in enumerate(rules)
    ]
    workflows = data.get("workflows")
    if workflows is None:
        workflows = []
    elif not isinstance(workflows, list):
        problems.append(Problem(file, lines.line(("workflows",)), "workflows must be a list"))
        workflows = []
    if version == 1:
        workflows = [renumber_steps(d, 1) for d in workflows]
    sources = [_Source(d, file, lines, ("workflows", i)) for i, d in enumerate(workflows)]
    return _Read(sources, rule_sources, option_sets, data_types, problems)


def _line_finder(lines: LineMap, prefix: tuple[str | int, ...]) -> Any:
    return lambda path: lines.line((*prefix, *path))


def _duplicate_names(sources: list[_Source]) -> list[Problem]:
    first: dict[str, _Source] = {}
    problems = []
    for source in sources:
        if source.name is None:
            continue
        if source.name in first:
            earlier = first[source.name]
            at = earlier.lines.line(earlier.prefix)
            problems.append(
                source.problem(
                    ("name",),
                    f"a workflow of this name is also defined at {earlier.file}:{at}",
                )
            )
        else:
            first[source.name] = source
    return problems


def _stored_definitions(names: set[str]) -> dict[str, dict[str, Any]]:
    workflows = Workflow.objects.filter(name__in=names).prefetch_related("parameters", "actions")
    return {w.name: workflow_definition(w) for w in workflows}


def _status(source: _Source, stored: Mapping[str, dict[str, Any]]) -> str:
    current = stored.get(source.name or "")
    if current is None:
        return ImportStatus.CREATED
    try:
        same = normalized(current) == normalized(source.definition)
    except (AttributeError, TypeError, ValueError):
        same = False  # malformed; validation says how
    return ImportStatus.UNCHANGED if same else ImportStatus.UPDATED


def workflow_info(definition: Any) -> WorkflowInfo:
    """What other workflows of the files see of this one (checked fully on its own)."""
    params = []
    raw = definition.get("parameters")
    for p in raw if isinstance(raw, list) else []:
        if isinstance(p, Mapping) and isinstance(p.get("key"), str):
            params.append(
                ParamSpec(
                    key=p["key"],
                    type=p.get("type") or "text",
                    data_type=p.get("data_type") or "",
                    is_list=p.get("list") is True,
                    optional=p.get("optional") is True,
                    default=p.get("default"),
                )
            )
    return WorkflowInfo(definition["name"], definition.get("kind") or "api", tuple(params))


def _validate(source: _Source, catalog: Catalog) -> list[Problem]:
    try:
        compile_definition(source.definition, catalog=catalog)
    except DefinitionError as exc:
        return [source.problem(issue.path, issue.message) for issue in exc.issues]
    except WorkflowError as exc:
        return [source.problem((), exc.message)]
    return []


def _broken_dependents(*, stored_names: set[str], in_files: set[str], catalog: Catalog):
    """Stored workflows outside the files that a changed workflow would break (its
    parameters or kind changed under a ``trigger_custom_event``, say)."""
    if not stored_names:
        return []
    problems = []
    others = Workflow.objects.exclude(name__in=in_files).prefetch_related("parameters", "actions")
    for workflow in others:
        definition = workflow_definition(workflow)
        try:
            compile_definition(definition)
        except WorkflowError:
            continue  # already invalid: not this import's doing
        try:
            compile_definition(definition, catalog=catalog)
        except DefinitionError as exc:
            for issue in exc.issues:
                problems.append(
                    Problem(
                        "(stored)",
                        None,
                        f"{issue.message} (this stored workflow is not in the files and "
                        "would stop working)",
                        workflow=workflow.name,
                        where=issue.where,
                    )
                )
    return problems
