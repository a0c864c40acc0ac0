"""Validating the whole edited workflow with ``compile_definition`` before anything is saved.

A workflow's parts validate each other (``only_when`` names parameters, actions name
earlier steps and other workflows), so no single form can judge its own fields. The
hook, chosen to use only public admin API:

* ``WorkflowAdmin.get_form`` gives the main form class a per-request ``DefinitionCheck``
  (``DefinitionCheck.of(request)``); the form registers itself on it when built.
* ``WorkflowAdmin.get_formset_kwargs`` passes the same object to both inline formsets
  (``DefinitionFormSet``), which register themselves too.
* Whichever formset is validated first calls ``DefinitionCheck.run`` from its ``clean()``
  — i.e. inside the admin's ``all_valid(formsets)``, after the main form was validated
  and before anything is saved. ``run`` validates the sibling formset (re-entry is
  harmless: Django marks a formset as cleaned before calling ``clean()``), builds the
  definition exactly as ``workflow_definition`` would from the saved rows (parameters and
  actions sorted by position, deleted and untouched extra rows left out), compiles it,
  and puts each ``Issue`` on the field it names. If every issue landed on the main form,
  the triggering formset also gets a non-form error so ``all_valid`` is false and nothing
  is saved.

The compile only runs once every form is valid on its own: a field error (bad YAML, a
malformed key) would otherwise cause misleading follow-up issues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from ..engine.compiler import compile_definition
from ..exceptions import DefinitionError, Issue

if TYPE_CHECKING:
    from .forms import WorkflowForm

_REQUEST_ATTR = "_workflow_definition_check"


class DefinitionFormSet(BaseInlineFormSet):
    """An inline formset of workflow parts (parameters or actions) kept in position order."""

    #: the definition key this formset fills: "parameters" or "actions"
    part: str = ""

    def __init__(self, *args: Any, definition_check: DefinitionCheck | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition_check = definition_check
        if definition_check is not None:
            definition_check.formsets[self.part] = self

    def is_deleted(self, form: forms.Form) -> bool:
        return bool(self.can_delete and self._should_delete_form(form))

    def kept_forms(self) -> list[forms.Form]:
        """Existing rows not deleted and new rows filled in, in position order.

        Position is the row's own number (blank: at the end), ties broken by the order on
        the page; the index of a form here is its index in the definition's list.
        """
        kept = []
        for index, form in enumerate(self.forms):
            is_new = index >= self.initial_form_count()
            if self.is_deleted(form) or (is_new and not form.has_changed()):
                continue
            kept.append((index, form))

        def order(item: tuple[int, forms.Form]) -> tuple[bool, int, int]:
            index, form = item
            position = getattr(form, "cleaned_data", {}).get("position")
            return (position is None, position or 0, index)

        return [form for _, form in sorted(kept, key=order)]

    def clean(self) -> None:
        super().clean()
        if self.definition_check is not None:
            self.definition_check.run(trigger=self)

    def save_in_order(self) -> None:
        """Save changes, delete deleted rows, and renumber positions 1..n (step 1 first).

        Rows whose data and position are unchanged are not written (each write changes
        the workflow's revision).
        """
        self.save(commit=False)
        for obj in self.deleted_objects:
            obj.delete()
        changed = {id(obj) for obj in self.new_objects}
        changed |= {id(obj) for obj, _ in self.changed_objects}
        for position, form in enumerate(self.kept_forms(), start=1):
            obj = form.instance
            if id(obj) in changed or obj.position != position:
                obj.position = position
                obj.save()
        self.save_m2m()


class DefinitionCheck:
    """The main form and both formsets of one request, compiled together once."""

    def __init__(self) -> None:
        self.main_form: WorkflowForm | None = None
        self.formsets: dict[str, DefinitionFormSet] = {}
        self.done = False
        self.issues: list[Issue] = []

    @classmethod
    def of(cls, request: HttpRequest) -> DefinitionCheck:
        """The check for this request (one request edits one workflow)."""
        check = getattr(request, _REQUEST_ATTR, None)
        if check is None:
            check = cls()
            setattr(request, _REQUEST_ATTR, check)
        return check

    def run(self, trigger: DefinitionFormSet) -> None:
        """Compile the edited workflow; put issues on fields; raise if none landed inline."""
        if self.done:
            return
        self.done = True
        main = self.main_form
        if main is None or set(self.formsets) != {"parameters", "actions"}:
            # fail closed: an unchecked definition must not be saved
            raise forms.ValidationError(
                "The workflow could not be checked (its editor is incomplete); not saved.",
                code="unchecked",
            )
        # is_valid() on the trigger itself is safe here, see the module docstring
        if not all([main.is_valid(), *(fs.is_valid() for fs in self.formsets.values())]):
            return
        try:
            compile_definition(self.definition())
        except DefinitionError as exc:
            self.issues = list(exc.issues)
        if self.issues and not self.report():
            raise forms.ValidationError(
                "The workflow was not saved: correct the problems marked above.",
                code="definition",
            )

    def definition(self) -> dict[str, Any]:
        """The forms as one definition (docs/workflow-format.md), like ``workflow_definition``."""
        assert self.main_form is not None
        d = self.main_form.definition()
        for part in ("parameters", "actions"):
            d[part] = [form.definition() for form in self.formsets[part].kept_forms()]
        return d

    def report(self) -> bool:
        """Add every issue to the field it names; True if any landed on an inline form.

        Targets are all worked out before the first ``add_error`` (which drops the field
        from ``cleaned_data``, and an action's config fields depend on its type).
        """
        assert self.main_form is not None
        rows = {part: fs.kept_forms() for part, fs in self.formsets.items()}
        targets: list[tuple[forms.Form, str | None, str]] = []
        for issue in self.issues:
            targets.append(self._target(issue, rows))
        for form, name, message in targets:
            form.add_error(name, message)
        return any(form is not self.main_form for form, _, _ in targets)

    def _target(
        self, issue: Issue, rows: dict[str, list[forms.Form]]
    ) -> tuple[forms.Form, str | None, str]:
        """The form, field (None: the form itself) and message for one issue."""
        path = issue.path
        if len(path) >= 2 and path[0] in rows and isinstance(path[1], int):
            part_forms = rows[str(path[0])]
            if path[1] < len(part_forms):
                form = part_forms[path[1]]
                key = path[2] if len(path) > 2 else None
                return _on_field(form, form.field_for(str(key)) if key else None, key, issue)
        assert self.main_form is not None
        key = path[0] if path else None
        name = {"on": "trigger_on"}.get(str(key), str(key)) if key is not None else None
        return _on_field(self.main_form, name, key, issue)


def _on_field(
    form: forms.Form, name: str | None, key: Any, issue: Issue
) -> tuple[forms.Form, str | None, str]:
    """On the field if the form has it, else on the form, saying which key is at fault."""
    if name is not None and name in form.fields:
        return form, name, issue.message
    return form, None, f"{key}: {issue.message}" if key is not None else issue.message
