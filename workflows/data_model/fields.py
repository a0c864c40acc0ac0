"""Model fields used by data types defined without code.

* ``ThingReference``: "a thing of a data type" and "an option". A reference is soft, as in
  Bubble: deleting the thing leaves the reference pointing at nothing, read as empty,
  instead of refusing the delete or deleting the things that point at it. So the column
  has no database constraint, and reading a reference whose thing is gone gives None.
* ``FileUrlField``: a file or an image, stored as its URL (Bubble's files are URLs).
* ``AddressField``: Bubble's geographic address, ``{"address", "lat", "lng"}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor


class _SoftDescriptor(ForwardManyToOneDescriptor):
    def get_object(self, instance: Any) -> Any:
        try:
            return super().get_object(instance)
        except self.field.remote_field.model.DoesNotExist:
            return None  # the thing was deleted: the reference reads as empty


class ThingReference(models.ForeignKey):
    """A soft reference to a thing (or an option): no database constraint, nothing done
    on delete, no reverse accessor; a reference to a deleted thing reads as None."""

    forward_related_accessor_class = _SoftDescriptor

    def __init__(self, to: Any, **kwargs: Any) -> None:
        kwargs.update(on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")
        kwargs.setdefault("blank", True)
        super().__init__(to, **kwargs)

    def validate(self, value: Any, model_instance: Any) -> None:
        # Django checks that the id exists; here a reference is only as good as its thing,
        # and the engine and the Data API look things up (with privacy) before setting them
        models.Field.validate(self, value, model_instance)


class FileUrlField(models.TextField):
    """A file's URL: what an upload, a file parameter or a URL gives."""

    def to_python(self, value: Any) -> Any:
        url = getattr(value, "url", None)  # a workflow's file value, a FieldFile
        if isinstance(url, str):
            return url
        if isinstance(value, dict) and isinstance(value.get("url"), str):
            return value["url"]
        return super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(self.to_python(value))


class AddressField(models.JSONField):
    """Bubble's geographic address: an address text with its latitude and longitude."""

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        if value is None:
            return
        if not isinstance(value, dict) or not isinstance(value.get("address"), str):
            raise ValidationError(
                'expected {"address": text, "lat": number, "lng": number}', code="address"
            )
        for key, low, high in (("lat", -90, 90), ("lng", -180, 180)):
            number = value.get(key)
            if number is None:
                continue
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValidationError(f"{key} must be a number", code="address")
            if not low <= number <= high:
                raise ValidationError(f"{key} must be between {low} and {high}", code="address")
