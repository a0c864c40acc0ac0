"""Bubble's built-in fields and list fields, for the operator's own data types.

Two things a model can use (docs/workflow-format.md#bubbles-built-in-fields):

* ``BubbleThing``, an abstract model: ``Created Date``, ``Modified Date``, ``Created By``
  and a text ``unique id``, which Bubble gives every data type. The Data API shows the
  first three under Bubble's names and sorts and filters by those names or the field
  names; searches are in Created Date order unless asked otherwise.
* ``ListField``: Bubble's "list of texts" / "list of numbers", a JSON list whose items are
  checked, shown as such in the Data API and its OpenAPI document.

Any model can also map its own fields to Bubble's names with ``BUBBLE_NAMES`` (a model
that already has ``created_at`` says ``BUBBLE_NAMES = {"created_at": "Created Date"}``);
``data_types.bubble_names`` reads it.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import time
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import data_types

CREATED_DATE = "Created Date"
MODIFIED_DATE = "Modified Date"
CREATED_BY = "Created By"


#: Bubble's unique ids; the Data API finds a BubbleThing by one in its URL
UNIQUE_ID = re.compile(r"[0-9]{1,20}x[0-9]{1,20}")


def new_unique_id() -> str:
    """A unique id in Bubble's form: the time in milliseconds, ``x``, 18 random digits
    (``1449154312665x293260311940684900``), so ids brought over from Bubble look alike."""
    return f"{time.time_ns() // 1_000_000}x{secrets.randbelow(10**18):018d}"


class BubbleThing(models.Model):
    """Bubble's built-in fields. ``created_by`` is whoever creates the thing — the run's
    user in a workflow, the key's user in the Data API, the staff user in the admin
    (``workflows.acting.current_actor``) — unless the creator sets it; nobody sets it
    through the Data API. Each ``save()`` of a changed thing moves ``modified_date``;
    ``QuerySet.update`` and ``bulk_create`` call no ``save()``: they set neither."""

    BUBBLE_NAMES: ClassVar[dict[str, str]] = {
        "created_date": CREATED_DATE,
        "modified_date": MODIFIED_DATE,
        "created_by": CREATED_BY,
    }

    unique_id = models.CharField(
        "unique id",
        max_length=64,
        unique=True,
        default=new_unique_id,
        editable=False,
        help_text="Bubble's unique id: set when the thing is made; never changes.",
    )
    # not auto_now(_add): a creator may set Created Date (things brought over from Bubble
    # keep theirs), and a new thing's two dates are one moment, as in Bubble
    created_date = models.DateTimeField(
        CREATED_DATE, default=timezone.now, editable=False, db_index=True
    )
    modified_date = models.DateTimeField(MODIFIED_DATE, default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=CREATED_BY,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self.modified_date = self.created_date
            if self.created_by_id is None:
                self.created_by = self._creator()
        elif kwargs.get("update_fields") is None or kwargs["update_fields"]:
            self.modified_date = timezone.now()
            if kwargs.get("update_fields") is not None:  # a derived field, as Django asks
                kwargs["update_fields"] = {*kwargs["update_fields"], "modified_date"}
        super().save(*args, **kwargs)

    def _creator(self) -> Any:
        from .acting import current_actor  # the engine's modules import the models'

        actor = current_actor()
        user_model = self._meta.get_field("created_by").related_model
        return actor if isinstance(actor, user_model) else None


class ListField(models.JSONField):
    """Bubble's "list of texts" (``ListField(of="text")``) or "list of numbers"
    (``of="number"``): a JSON list (empty by default) whose items must be of that kind."""

    KINDS: ClassVar[dict[str, tuple[type, ...]]] = {
        "text": (str,),
        "number": (int, float, Decimal),
        "date": (datetime.datetime,),
    }

    def __init__(self, *args: Any, of: str = "text", **kwargs: Any) -> None:
        if of not in self.KINDS:
            raise ValueError(f"ListField(of=...) is 'text', 'number' or 'date', not {of!r}")
        self.of = of
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(self._plain(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if self.of == "date" and isinstance(value, list):  # stored as ISO 8601 text
            return [_moment(item) if isinstance(item, str) else item for item in value]
        return value

    def to_python(self, value: Any) -> Any:
        if self.of == "date" and isinstance(value, list):
            return [_moment(item) if isinstance(item, str) else item for item in value]
        return super().to_python(value)

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(self._plain(value), model_instance)
        if value is None:
            return
        if not isinstance(value, list):
            raise ValidationError(f"expected a list of {self.of}s", code="not_a_list")
        kinds = self.KINDS[self.of]
        for index, item in enumerate(value):
            item = _plain_item(item) if self.of == "text" else item  # a file: its URL
            if not isinstance(item, kinds) or isinstance(item, bool):
                raise ValidationError(
                    f"item {index + 1} is not a {self.of}: {item!r}", code="wrong_item"
                )

    @staticmethod
    def _plain(value: Any) -> Any:
        """Decimals (a workflow's numbers) as JSON numbers, dates as ISO 8601 text, files
        as their URLs."""
        if isinstance(value, list):
            return [_plain_item(v) for v in value]
        return value


def _plain_item(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)  # stored as a date field is: in UTC
    if isinstance(value, Decimal | datetime.datetime):
        return data_types.plain(value)
    url = getattr(value, "url", None)  # a workflow's file value
    return url if isinstance(url, str) else value


def _moment(text: str) -> Any:
    """An ISO 8601 item of a list of dates as an aware datetime (the text if it is not)."""
    moment = parse_datetime(text)
    if moment is None:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


@ListField.register_lookup
class HasItem(models.Lookup):
    """``tags__has_item="red"``: the list holds the item (the Data API's ``contains`` on a
    list of texts or numbers), on PostgreSQL and SQLite."""

    lookup_name = "has_item"
    prepare_rhs = False

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", [*params, json.dumps([self.rhs])]

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        # lhs is the column Django compiled; the value is a parameter
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)"  # noqa: S608
        return sql, [*params, self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise NotSupportedError(f"has_item is not written for {connection.vendor}")
