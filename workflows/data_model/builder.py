"""Django models made at run time from the stored definitions of data types.

Each data type becomes a model class ``T<id>`` of the app ``things`` (the table
``things_<id>``, unmanaged: ``workflows.data_model.schema`` alone changes the tables), with
Bubble's built-in fields (``BubbleThing``) and one field per live field of the type, named
as the builder named it and stored in the column ``f<id>``. Expressions, privacy rules,
the Data API and the admin then use it like any model.

The classes live in Django's app registry under the app label ``things`` (an installed
app without models or migrations: Django never makes migrations for it), so deleting a
thing also deletes its lists' join rows. Building replaces every class of that app at
once, under a lock; a request still holding an older class finishes with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

from ..bubble_fields import CREATED_BY, BubbleThing
from ..models.data_model import DataField, DataType
from . import field_types, options
from .fields import ThingReference

APP_LABEL = "things"
_lock = threading.RLock()


class ThingModel(BubbleThing):
    """What every data type defined without code has: Bubble's built-in fields, a numeric
    id, and its display field as its text."""

    #: the data type's name (``Lead``): what workflows, messages and the API call it
    BUBBLE_TYPE_NAME = ""
    #: the ``DataType`` row it was built from
    DATA_TYPE_ID = 0
    #: the APIs name a thing by its unique id (Bubble's ``1503408875694x...``), as Bubble
    #: does: things brought over from Bubble keep the ids callers stored
    #: (``data_types.wire_id``)
    UNIQUE_ID_ON_THE_WIRE = True
    DISPLAY_FIELD = ""

    id = models.BigAutoField(primary_key=True)
    # a soft reference, as every reference of these types: deleting the user leaves it
    # empty instead of being refused by a constraint no process may know of
    created_by = ThingReference(settings.AUTH_USER_MODEL, verbose_name=CREATED_BY, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        if self.DISPLAY_FIELD:
            value = getattr(self, self.DISPLAY_FIELD, None)
            if value not in (None, ""):
                return str(value)
        return f"{self.BUBBLE_TYPE_NAME} {self.pk}"


def class_name(data_type_id: int) -> str:
    return f"T{data_type_id}"


def join_table(data_type_id: int, field_id: int) -> str:
    return f"things_{data_type_id}_f{field_id}"


def column_of(field: DataField) -> field_types.Column:
    return field_types.Column(
        name=field.name,
        column=field.column,
        required=field.required,
        unique=field.unique,
        indexed=field.indexed,
        default=field.default,
        help_text=field.help_text,
    )


def model_field(field: DataField, classes: Mapping[int, type[models.Model]]) -> models.Field:
    """The Django field of ``field``, its target taken from ``classes`` (data types being
    built) or the code-defined model it names."""
    kind = field_types.get(field.type)
    target: Any = None
    if kind.needs_target:
        target = (
            classes[field.target_type_id]
            if field.target_type_id is not None
            else apps.get_model(field.target_model)
        )
    elif kind.needs_option_set:
        from ..models.data_model import Option

        target = Option
    made = kind.model_field(column_of(field), target, is_list=field.is_list)
    if isinstance(made, models.ManyToManyField):
        made.db_table = join_table(field.data_type_id, field.pk)
    if kind.needs_option_set:  # which set its options come from (``options.option_set_of``)
        setattr(made, options.OPTION_SET_ATTRIBUTE, field.option_set_id)
    return made


def build(
    types: Iterable[DataType],
    fields: Iterable[DataField],
    *,
    register: bool = True,
) -> dict[int, type[models.Model]]:
    """Model classes for ``types`` with ``fields`` (their live fields, or any the caller
    wants in a schema change), by data type id. ``register``: they replace the classes in
    Django's registry (what every part of the project then uses)."""
    types = list(types)
    by_type: dict[int, list[DataField]] = {}
    for field in fields:
        by_type.setdefault(field.data_type_id, []).append(field)
    config = apps.get_app_config(APP_LABEL)
    with _lock:
        live = config.models
        # the classes register themselves in a dict of their own: a thread listing the
        # models meanwhile (through the app config, as ``apps.get_models()`` does) keeps
        # seeing the complete live set until the new one replaces it in one assignment
        apps.all_models[APP_LABEL] = building = {}
        try:
            classes = {t.pk: _plain_class(t) for t in types}
            for data_type in types:
                cls = classes[data_type.pk]
                own = sorted(by_type.get(data_type.pk, []), key=_order)
                for field in own:
                    cls.add_to_class(field.name, model_field(field, classes))
                # the Data API's keys: Bubble's built-in names, and each field's own
                cls.BUBBLE_NAMES = {
                    **ThingModel.BUBBLE_NAMES,
                    **{f.name: f.bubble_name for f in own if f.bubble_name},
                }
        except BaseException:
            register = False
            raise
        finally:
            registered = building if register else live  # else the live classes stay
            apps.all_models[APP_LABEL] = config.models = registered
            apps.clear_cache()
    return classes


def _order(field: DataField) -> tuple[int, int]:
    return (field.position, field.pk or 0)


def _plain_class(data_type: DataType) -> type[models.Model]:
    meta = type(
        "Meta",
        (),
        {
            "app_label": APP_LABEL,
            "db_table": data_type.table_name,
            "managed": False,
            "verbose_name": data_type.name,
            "verbose_name_plural": data_type.plural_name,
        },
    )
    attrs = {
        "__module__": __name__,
        "Meta": meta,
        "BUBBLE_TYPE_NAME": data_type.name,
        "DATA_TYPE_ID": data_type.pk,
        "DISPLAY_FIELD": data_type.display_field,
    }
    return type(class_name(data_type.pk), (ThingModel,), attrs)


def is_built(model: Any) -> bool:
    """Whether ``model`` is a data type defined without code."""
    return isinstance(model, type) and issubclass(model, ThingModel)
