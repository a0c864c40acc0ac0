"""The things recurring events are bound to, by their names, for the admin's lists.

A page of events is named in one query per data type on it (``name_things``), and a
thing is shown by name (``str(thing)``, as Bubble shows it) only to a user who may view
that data type in the admin; others see its type and id, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from workflows import data_types
from workflows.exceptions import WorkflowError

#: set on each row by ``name_things``: the thing it is bound to, None (not looked up) or
#: ``GONE`` (looked up, not found)
ATTR = "_bound_thing"
GONE = object()


def _may_view(request: HttpRequest, model: type[models.Model]) -> bool:
    opts = model._meta
    user = request.user
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def name_things(request: HttpRequest, rows: Iterable[Any]) -> None:
    """Look up the things ``rows`` (with ``data_type`` and ``thing_id``) are bound to."""
    wanted: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        setattr(row, ATTR, None)
        if row.thing_id:
            wanted[row.data_type].append(row)
    for label, bound in wanted.items():
        try:
            model = data_types.get_model(label)
        except WorkflowError:  # a data type no longer allowed: shown by its label and id
            continue
        if not _may_view(request, model):
            continue
        ids = {}
        for row in bound:
            try:
                ids[row.thing_id] = data_types.pk_value(model, row.thing_id)
            except (ValidationError, ValueError, TypeError):
                continue
        found = model._default_manager.in_bulk(set(ids.values()))
        for row in bound:
            setattr(row, ATTR, found.get(ids.get(row.thing_id), GONE))


def bound_thing(row: Any) -> Any:
    """The thing's name, linked to its admin page; its type and id when not named."""
    if not row.thing_id:
        return "the workflow's own schedule"
    thing = getattr(row, ATTR, None)
    if thing is None:
        return f"{row.data_type} {row.thing_id}"
    if thing is GONE:
        return f"{row.data_type} {row.thing_id} (deleted)"
    opts = thing._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[thing.pk])
    except NoReverseMatch:
        return str(thing)
    return format_html('<a href="{}">{}</a>', url, str(thing))
