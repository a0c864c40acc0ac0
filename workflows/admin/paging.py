"""Paging a large list without counting it: the page asked for, and whether there is another.

Django's paginator counts every row the list selects, which on 1,000,000 runs (and more
with a search) costs more than the page. ``PeekPaginator`` reads the ids of the page and
one more: the list then knows its page and whether a next one exists, and says "page N"
rather than "N of M". The rows are read by primary key, with the related rows joined.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

#: the highest page a list reads (a larger number in the URL reads this one): an offset a
#: database can take, whatever is typed
MAX_PAGE = 1_000_000
#: the largest id a filter compares with (a 64-bit integer column's)
MAX_ID = 2**63 - 1


def page_number(request: HttpRequest) -> int:
    """The page the request asks for (``?p=``), from 1 to ``MAX_PAGE``; 1 when not a number."""
    try:
        return min(max(1, int(request.GET.get(PAGE_VAR, 1))), MAX_PAGE)
    except ValueError:
        return 1


def id_number(raw: str) -> int:
    """``raw`` as a row id; ``ValueError`` when it is not one a column can hold."""
    value = int(raw)
    if not 0 < value <= MAX_ID:
        raise ValueError(f"{raw!r} is not an id")
    return value


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
