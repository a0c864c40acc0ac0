"""Small value types that expressions see: namespaces, lists of things, files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from .. import conf, data_types


class Namespace:
    """Read-only ``a.b`` and ``a['b']`` access to a mapping (``params``, ``settings``).

    Unlike a dict it has no methods, so a parameter called ``items`` or ``keys`` is just a
    parameter.
    """

    __slots__ = ("_data", "_kind")

    def __init__(self, data: Mapping[str, Any], kind: str = "value") -> None:
        self._data = dict(data)
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"no {self._kind} named {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<{self._kind}s: {', '.join(self._data)}>"


def namespace_get(namespace: Namespace, key: str, default: Any = None) -> Any:
    """``namespace.key`` for the engine's own reads, or ``default``. (Not a method: a
    parameter may be called ``get``.)"""
    return namespace._data.get(key, default)


class Steps:
    """Results of earlier steps, as ``steps.<id>`` or ``steps[N]`` (N from 1: ``steps[1]``
    is the first step, as in Bubble's "Result of step 1")."""

    __slots__ = ("_by_id", "_by_index")

    def __init__(self) -> None:
        self._by_id: dict[str, Any] = {}
        self._by_index: list[Any] = []

    def record(self, step_id: str | None, value: Any) -> None:
        self._by_index.append(value)
        if step_id:
            self._by_id[step_id] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._by_id[name]
        except KeyError:
            raise AttributeError(f"no earlier step with id {name!r}") from None

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int) and not isinstance(key, bool):
            if not 1 <= key <= len(self._by_index):
                raise IndexError(
                    f"steps[{key}]: no such earlier step (steps count from 1; "
                    f"{len(self._by_index)} ran before this one)"
                )
            return self._by_index[key - 1]
        return self._by_id[key]

    def __len__(self) -> int:
        return len(self._by_index)


class ThingList:
    """A lazily evaluated, capped list of things (a search, a relation).

    ``count`` asks the database without loading rows; iterating loads at most
    ``SEARCH_LIMIT`` rows once.
    """

    __slots__ = ("_queryset", "_cache")

    def __init__(self, queryset: models.QuerySet) -> None:
        self._queryset = queryset
        self._cache: list[models.Model] | None = None

    def as_queryset(self) -> models.QuerySet:
        """For Python callers; a method, so expressions cannot reach it."""
        return self._queryset

    def _items(self) -> list[models.Model]:
        if self._cache is None:
            self._cache = list(self._queryset[: conf.get("SEARCH_LIMIT")])
        return self._cache

    @property
    def count(self) -> int:
        if self._cache is not None:
            return len(self._cache)
        return self._queryset.count()

    @property
    def first(self) -> models.Model | None:
        items = self._items()
        return items[0] if items else None

    @property
    def last(self) -> models.Model | None:
        items = self._items()
        return items[-1] if items else None

    def __iter__(self) -> Iterator[models.Model]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __bool__(self) -> bool:
        return bool(self._items())

    def __getitem__(self, index: int) -> models.Model:
        return self._items()[index]

    def __repr__(self) -> str:
        return f"<list of {data_types.label_of(self._queryset.model)}>"


@dataclass(frozen=True)
class FileValue:
    """A file parameter: an uploaded file saved to storage, or a URL."""

    url: str
    name: str
    size: int | None = None
    content_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
        }

    def __str__(self) -> str:
        return self.url
