"""Links resolved once every type has arrived: each copied row's ``PendingLinks`` (Bubble's
ids of the things it points to, its lists, its ``Created By``) become the row's references
and list rows, in batches, each batch in one transaction with the deletion of its pending
rows — so a kill leaves every batch done or to do. A link to a row that exists nowhere (it
was deleted on Bubble) is left empty, or out of its list, and reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from workflows import thing_ids

from .copying import CREATED_BY, Target
from .models import BubbleImport, PendingLinks
from .problems import Problems

#: rows whose links are resolved per transaction
BATCH = 500


def resolve_links(
    bubble_import: BubbleImport,
    target: Target,
    problems: Problems,
    *,
    batch: int = BATCH,
    on_batch: Callable[[int], None] = lambda done: None,
) -> None:
    """Resolve every pending link of ``target``'s rows."""
    model = target.model
    if model is None:
        return
    keys = {name: key for key, name, _ in target.links}
    keys[CREATED_BY] = "Created By"
    if target.profile_link:
        keys[target.profile_link] = "(its user account)"
    pending = PendingLinks.objects.filter(
        bubble_import=bubble_import, bubble_name=target.typed.bubble_name
    )
    done = 0
    while True:
        with transaction.atomic():
            rows = list(pending.order_by("pk")[:batch])
            if not rows:
                return
            _resolve(model, rows, keys, target.typed.bubble_name, problems)
            PendingLinks.objects.filter(pk__in=[r.pk for r in rows]).delete()
            problems.save(bubble_import)
        done += len(rows)
        on_batch(done)


def _resolve(
    model: type[models.Model],
    rows: list[PendingLinks],
    keys: dict[str, str],
    bubble_name: str,
    problems: Problems,
) -> None:
    things = {
        t.unique_id: t
        for t in model._default_manager.filter(unique_id__in=[r.unique_id for r in rows])
    }
    fields = {name: model._meta.get_field(name) for name in keys}
    wanted: dict[str, set[str]] = {name: set() for name in fields}
    for row in rows:
        for name, ids in row.links.items():
            if name in wanted and ids:
                wanted[name].update(ids if isinstance(ids, list) else [ids])
    found = {
        name: thing_ids.pks_of(fields[name].related_model, sorted(ids))
        for name, ids in wanted.items()
    }
    changed: list[models.Model] = []
    lists: dict[str, list[tuple[Any, list[Any]]]] = {}
    for row in rows:
        thing = things.get(row.unique_id)
        if thing is None:  # deleted here since it was copied
            continue
        for name, ids in row.links.items():
            if name not in fields:
                continue
            field, pks = fields[name], found[name]
            if field.many_to_many:
                kept = []
                for item in ids or ():
                    if item in pks:
                        kept.append(pks[item])
                    else:
                        problems.missing_link(bubble_name, row.unique_id, keys[name], item)
                lists.setdefault(name, []).append((thing.pk, kept))
            else:
                if ids and ids not in pks:
                    problems.missing_link(bubble_name, row.unique_id, keys[name], ids)
                setattr(thing, field.attname, pks.get(ids) if ids else None)
        changed.append(thing)
    single = [fields[n].attname for n in fields if not fields[n].many_to_many]
    if changed and single:
        model._default_manager.bulk_update(changed, single)
    for name, members in lists.items():
        _replace_list(fields[name], members)


def _replace_list(field: Any, members: list[tuple[Any, list[Any]]]) -> None:
    """Each thing's list is exactly ``members`` says, in its order (a repeat once)."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    through._default_manager.filter(**{f"{source}__in": [pk for pk, _ in members]}).delete()
    through._default_manager.bulk_create(
        [
            through(**{source: pk, target: item})
            for pk, items in members
            for item in dict.fromkeys(items)
        ]
    )
