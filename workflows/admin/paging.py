"""Paging a large list without counting it: the page asked for, and whether there is another.

Django's paginator counts every row the list selects, which on 1,000,000 runs (and more
with a search) costs more than the page. ``PeekPaginator`` reads the ids of the page and
one more: the list then knows its page and whether a next one exists, and says "page N"
rather than "N of M". The rows are read by primary key, with the related rows joined.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet


class PeekPaginator(Paginator):
    """A paginator whose ``count`` is the rows up to the page ``number`` and, when there
    are more, one more (so ``num_pages`` is ``number + 1`` then)."""

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        number: int,
        related: tuple[str, ...] = (),
        **kwargs: Any,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.number = max(1, number)
        self.related = related

    @cached_property
    def _ids(self) -> list[Any]:
        bottom = (self.number - 1) * self.per_page
        return list(
            self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page + 1]
        )

    @cached_property
    def count(self) -> int:
        return (self.number - 1) * self.per_page + len(self._ids)

    @property
    def has_more(self) -> bool:
        """Whether a page follows the one read."""
        return len(self._ids) > self.per_page

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        if number != self.number:  # only the page read is known
            raise ValueError(f"this paginator read page {self.number}, not {number}")
        ids = self._ids[: self.per_page]
        found = self.object_list.model._default_manager.filter(pk__in=ids)
        if self.related:
            found = found.select_related(*self.related)
        rows = {row.pk: row for row in found.order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
