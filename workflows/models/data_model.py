"""The builder's data model: data types, their fields and option sets, defined in the admin
or a definition file without code (docs/data-types.md).

These rows are definitions; each data type is also a real table (``things_<id>``) whose
columns are its fields (``f<id>``), built and changed by ``workflows.data_model.schema``
and read through a Django model made at run time (``workflows.data_model.builder``).
Tables and columns are named by ids, never by the builder's names, so a rename changes a
row here and nothing in the table, and no name a builder types ever reaches SQL.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

#: names of data types, fields and option sets: what expressions write (``thing.score``)
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
name_validator = RegexValidator(
    NAME_PATTERN,
    "Use letters, digits and underscores, starting with a letter (expressions read it as "
    "thing.name).",
)


class OptionSet(models.Model):
    """Bubble's option set: a named, ordered list of fixed options (``Stage``: New,
    Qualified, Won, Lost), each with a display and optional attributes."""

    name = models.CharField(max_length=100, validators=[name_validator])
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="unique_option_set_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """One option of a set. Things refer to it by its id, so its display can change."""

    option_set = models.ForeignKey(OptionSet, on_delete=models.CASCADE, related_name="options")
    display = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    attributes = models.JSONField(
        default=dict, blank=True, help_text='Other values of the option, as JSON: {"color": "red"}.'
    )

    class Meta:
        ordering = ["option_set", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                "option_set", Lower("display"), name="unique_option_display_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.display


class DataType(models.Model):
    """A data type defined without code; its things live in the table ``things_<id>``."""

    name = models.CharField(
        max_length=100,
        validators=[name_validator],
        help_text="What workflows call it (Lead, OrderItem); unique in any case.",
    )
    plural = models.CharField(max_length=100, blank=True, help_text="Empty: the name + s.")
    display_field = models.CharField(
        max_length=100,
        blank=True,
        help_text="The text field that names a thing in lists and pickers (empty: its id).",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="unique_data_type_name_ci"),
        ]
        permissions = [("change_data_model", "Can change the data model (types, fields)")]

    def __str__(self) -> str:
        return self.name

    @property
    def table_name(self) -> str:
        return f"things_{self.pk}"

    @property
    def plural_name(self) -> str:
        return self.plural or f"{self.name}s"


class DataField(models.Model):
    """A field of a data type: a column ``f<id>`` of its table (a join table for a list of
    things or options). A deleted field keeps its column, hidden, until it is purged."""

    data_type = models.ForeignKey(DataType, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=100, validators=[name_validator])
    type = models.CharField(max_length=30, help_text="text, number, yes_no, date, thing, ...")
    is_list = models.BooleanField("list", default=False)
    target_type = models.ForeignKey(
        DataType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referenced_by",
        help_text="For a thing: the data type defined here it points to.",
    )
    target_model = models.CharField(
        max_length=100,
        blank=True,
        help_text="For a thing: the code-defined data type it points to (auth.User).",
    )
    option_set = models.ForeignKey(
        OptionSet, on_delete=models.PROTECT, null=True, blank=True, related_name="fields"
    )
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    indexed = models.BooleanField("indexed for searches", default=False)
    default = models.JSONField(null=True, blank=True)
    help_text = models.CharField(max_length=500, blank=True)
    bubble_name = models.CharField(
        "name in the Data API",
        max_length=100,
        blank=True,
        help_text="Its key in the Data API when not its name: Bubble's (Unit name), spaces "
        "and case kept, so Bubble's callers keep working. Empty: its name.",
    )
    position = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted: hidden, its data kept until purged."
    )

    class Meta:
        ordering = ["data_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                "data_type",
                Lower("name"),
                condition=models.Q(deleted_at__isnull=True),
                name="unique_live_field_name_ci",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.data_type.name}.{self.name}"

    @property
    def column(self) -> str:
        return f"f{self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class SchemaVersion(models.Model):
    """One row: a number raised by every change of the data model, in the change's
    transaction. Each process compares it with the models it built before it touches a
    data type, so a new field is usable everywhere without a restart."""

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "schema version"

    def __str__(self) -> str:
        return f"data model version {self.version}"
