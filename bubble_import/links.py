"""Links between copied rows, given by Bubble's ids: things, lists of things, ``Created
By``.

* **While a page is written** (``link_now``): a link to a row already here (users come
  first, and a type's links mostly point at types copied before it) is written with the
  row, and a list whose things are all here replaces the thing's list.
* **Once every type has arrived** (``resolve_links``): what was left in ``PendingLinks``
  (a link to a type copied later, or to a row that no longer exists) is resolved in
  batches, each in one transaction with the deletion of its pending rows — so a kill leaves
  every batch done or to do. A link to a row that exists nowhere (deleted on Bubble) is
  left empty, or out of its list, and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from workflows import thing_ids

from . import lease
from .models import BubbleImport, PendingLinks
from .problems import Problems
from .targets import Target

#: rows whose leftover links are resolved per transaction
BATCH = 500

Links = dict[str, Any]  # a row's links: field here -> a Bubble id, or a list of them


@dataclass
class PageLinks:
    """A page's links once looked up: the references set on its things, the lists to
    write, and what each thing leaves for later."""

    references: list[str] = field(default_factory=list)  # attnames set on the things
    lists: dict[str, list[tuple[str, list[Any]]]] = field(default_factory=dict)
    later: list[Links] = field(default_factory=list)

    def write_lists(self, model: type[models.Model]) -> None:
        """Each thing's lists as they were given, in their order (after its row exists)."""
        unique_ids = {u for members in self.lists.values() for u, _ in members}
        pks = thing_ids.pks_of(model, sorted(unique_ids))
        for name, members in self.lists.items():
            _replace_lists(model._meta.get_field(name), [(pks[u], items) for u, items in members])


def link_now(target: Target, things: Sequence[models.Model], links: Sequence[Links]) -> PageLinks:
    """Set on ``things`` each link whose row is here; the rest for ``PendingLinks``."""
    model = target.model
    assert model is not None
    fields = {name: model._meta.get_field(name) for name in target.link_keys()}
    found = _found(fields, links)
    page = PageLinks(references=[f.attname for f in fields.values() if not f.many_to_many])
    for thing, row in zip(things, links, strict=True):
        left: Links = {}
        for name, ids in row.items():
            f, pks = fields[name], found[name]
            if f.many_to_many:
                items = ids or []
                if all(item in pks for item in items):
                    page.lists.setdefault(name, []).append(
                        (thing.unique_id, [pks[i] for i in items])
                    )
                else:
                    left[name] = items
            else:
                setattr(thing, f.attname, pks.get(ids) if ids else None)
                if ids and ids not in pks:
                    left[name] = ids
        page.later.append(left)
    return page


def resolve_links(
    bubble_import: BubbleImport,
    target: Target,
    problems: Problems,
    *,
    batch: int = BATCH,
    on_batch: Callable[[int], None] = lambda done: None,
) -> None:
    """Resolve the links ``target``'s rows left for later; report those found nowhere."""
    model = target.model
    if model is None:
        return
    keys = target.link_keys()
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
            lease.beat(bubble_import)
        done += len(rows)
        on_batch(done)


def _found(fields: dict[str, Any], links: Sequence[Links]) -> dict[str, dict[str, Any]]:
    """Per link field, the primary keys of the Bubble ids the rows give, by id (one query
    per field)."""
    wanted: dict[str, set[str]] = {name: set() for name in fields}
    for row in links:
        for name, ids in row.items():
            if name in wanted and ids:
                wanted[name].update(ids if isinstance(ids, list) else [ids])
    return {
        name: thing_ids.pks_of(fields[name].related_model, sorted(ids))
        for name, ids in wanted.items()
    }


def _resolve(
    model: type[models.Model],
    rows: list[PendingLinks],
    keys: dict[str, str],
    bubble_name: str,
    problems: Problems,
) -> None:
    by_id = model._default_manager.filter(unique_id__in=[r.unique_id for r in rows])
    things = {t.unique_id: t for t in by_id}
    fields = {name: model._meta.get_field(name) for name in keys}
    found = _found(fields, [r.links for r in rows])
    changed: dict[str, list[models.Model]] = {}
    lists: dict[str, list[tuple[Any, list[Any]]]] = {}
    for row in rows:
        thing = things.get(row.unique_id)
        if thing is None:  # deleted here since it was copied
            continue
        for name, ids in row.links.items():
            if name not in fields:
                continue
            f, pks = fields[name], found[name]
            items = (ids or []) if f.many_to_many else ([ids] if ids else [])
            for item in items:
                if item not in pks:
                    problems.missing_link(bubble_name, row.unique_id, keys[name], item)
            if f.many_to_many:
                lists.setdefault(name, []).append((thing.pk, [pks[i] for i in items if i in pks]))
            elif ids in pks:
                setattr(thing, f.attname, pks[ids])
                changed.setdefault(f.attname, []).append(thing)
    for attname, group in changed.items():  # few: most links were written with their row
        model._default_manager.bulk_update(group, [attname])
    for name, members in lists.items():
        _replace_lists(fields[name], members)


def _replace_lists(field: Any, members: list[tuple[Any, list[Any]]]) -> None:
    """Each thing's list is exactly ``members`` says, in its order (a repeat once)."""
    if not members:
        return
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
