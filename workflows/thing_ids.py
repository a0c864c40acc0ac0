"""A thing's id as a caller gives it: its primary key, or the Bubble unique id it kept
(``1503408875694x944431186090727200``: a data type's ``unique_id``, an imported user's
``UserUniqueId``), so callers and webhooks that stored Bubble's ids keep working
(docs/coming-from-bubble.md#bring-your-app-over). The Data API's reads and writes and
workflow parameters all read ids here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q

from . import data_types
from .bubble_fields import UNIQUE_ID, BubbleThing


class UniqueId(str):
    """A Bubble unique id given for a thing (equal to its text as a dictionary key)."""


def keeps_unique_ids(model: type[models.Model]) -> bool:
    from .accounts import is_user_model

    return issubclass(model, BubbleThing) or is_user_model(model)


def unique_id_in(model: type[models.Model], value: Any) -> UniqueId | None:
    """``value`` as a unique id of ``model``'s things, if it has Bubble's shape and the
    model keeps them."""
    if isinstance(value, str) and keeps_unique_ids(model):
        text = value.strip()
        if UNIQUE_ID.fullmatch(text):
            return UniqueId(text)
    return None


def thing_key(model: type[models.Model], value: Any) -> Any:
    """``value`` as a key of ``model``'s things: a ``UniqueId`` when it has Bubble's shape
    and the model keeps them, else its primary key (``ValidationError`` if not one)."""
    unique_id = unique_id_in(model, value)
    return unique_id if unique_id is not None else data_types.pk_value(model, value)


def matching(model: type[models.Model], key: Any) -> Q:
    """The things of ``model`` a key (``thing_key``) stands for."""
    if not isinstance(key, UniqueId):
        return Q(pk=key)
    if issubclass(model, BubbleThing):
        return Q(unique_id=key)
    return Q(bubble_unique_id__unique_id=key)


def in_bulk(queryset: models.QuerySet, keys: Iterable[Any]) -> dict[Any, models.Model]:
    """``queryset``'s things by the keys given (``thing_key``): found by primary key or by
    unique id, as ``QuerySet.in_bulk`` (a key found nowhere is not in the answer)."""
    keys = list(keys)
    pks = [k for k in keys if not isinstance(k, UniqueId)]
    by_unique_id = pks_of(queryset.model, [str(k) for k in keys if isinstance(k, UniqueId)])
    found = queryset.in_bulk([*pks, *by_unique_id.values()]) if keys else {}
    answer: dict[Any, models.Model] = {pk: found[pk] for pk in pks if pk in found}
    for unique_id, pk in by_unique_id.items():
        if pk in found:
            answer[UniqueId(unique_id)] = found[pk]
    return answer


def pks_of(model: type[models.Model], unique_ids: list[str]) -> dict[str, Any]:
    """The primary keys of ``model``'s things with these unique ids, by unique id."""
    if not unique_ids:
        return {}
    if issubclass(model, BubbleThing):
        rows = model._default_manager.filter(unique_id__in=unique_ids).values_list(
            "unique_id", "pk"
        )
    else:
        from .models import UserUniqueId

        rows = UserUniqueId.objects.filter(unique_id__in=unique_ids).values_list(
            "unique_id", "user_id"
        )
    return dict(rows)
