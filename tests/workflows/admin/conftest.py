"""Admin test helpers: a logged-in client, and the POST data a browser would send.

``form_data`` reads the forms of a rendered admin page (from the response context) and
returns what submitting it unchanged would send, so tests change only what they mean to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.utils import timezone

from workflows.choices import RunStatus, StepStatus
from workflows.models import Run, StepRun

ORDER_PARAM = {"key": "order", "type": "thing", "data_type": "examples.Order"}


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _add_form(data: dict[str, Any], form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        if getattr(field.widget, "allow_multiple_selected", False) and not value:
            continue  # nothing checked: a browser sends nothing
        if isinstance(field.widget, forms.MultiWidget):  # a date and a time: name_0, name_1
            parts = value if isinstance(value, list) else field.widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            continue
        if isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)


def form_data(response) -> dict[str, Any]:
    """What submitting the admin change form in ``response`` unchanged would send."""
    data: dict[str, Any] = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data


def append_row(data: dict[str, Any], prefix: str, **values: Any) -> int:
    """Add a new inline row (as "Add another" does); returns its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for key, value in values.items():
        data[f"{prefix}-{index}-{key}"] = value
    return index


def row_index(data: dict[str, Any], prefix: str, field: str, value: str) -> int:
    """The index of the existing row whose ``field`` is ``value``."""
    for i in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        if data.get(f"{prefix}-{i}-{field}") == value:
            return i
    raise LookupError(f"no {prefix} row with {field}={value!r}")


def errors(response) -> dict[str, Any]:
    """Field errors of a re-rendered change form: main form, then each inline's rows."""
    assert response.status_code == 200, response.status_code
    out: dict[str, Any] = {"workflow": dict(response.context["adminform"].form.errors)}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        out[formset.prefix] = [dict(form.errors) for form in formset.forms]
        out[f"{formset.prefix}-non-form"] = list(formset.non_form_errors())
    return out


@pytest.fixture
def change_url() -> Callable[[Any], str]:
    return lambda workflow: f"/admin/workflows/workflow/{workflow.pk}/change/"


@pytest.fixture
def make_run(db) -> Callable[..., Run]:
    """A finished run with steps, written as the runner would."""

    def make(workflow=None, *, steps: list[dict[str, Any]] | None = None, **fields: Any) -> Run:
        if fields.get("status") != RunStatus.RUNNING:
            fields.setdefault("finished_at", fields.get("started_at") or timezone.now())
        run = Run.objects.create(
            workflow=workflow,
            workflow_name=workflow.name if workflow else fields.pop("workflow_name", "gone"),
            status=fields.pop("status", RunStatus.SUCCEEDED),
            duration_ms=fields.pop("duration_ms", 12.5),
            **fields,
        )
        for i, step in enumerate(steps or []):
            StepRun.objects.create(
                run=run,
                position=i + 1,  # steps count from 1, as the runner writes them
                action_type=step.pop("action_type", "log"),
                status=step.pop("status", StepStatus.SUCCEEDED),
                **step,
            )
        return run

    return make


# --- the workflow editor: the page's data, and what its Save sends --------------------------


def editor_data(response) -> dict[str, Any]:
    """The JSON the editor page gives its script (definition, issues, catalog, urls)."""
    assert response.status_code == 200, response.status_code
    return response.context["editor_data"]


def send_definition(client: Client, url: str, definition: dict[str, Any], button: str = "_save"):
    """What the editor's Save sends: the whole workflow as one JSON definition."""
    import json

    return client.post(url, {"definition": json.dumps(definition), "mode": "editor", button: "1"})


def edited(client: Client, url: str) -> dict[str, Any]:
    """The definition an editor page starts from (to change a part and send it back)."""
    import copy

    return copy.deepcopy(editor_data(client.get(url))["definition"])
