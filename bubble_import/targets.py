"""Where one Bubble type's rows go here: its model and how each of its fields is read."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from .models import ImportedType
from .plan import TypePlan
from .values import Reader

#: the name a row's ``Created By`` goes by among its links
CREATED_BY = "created_by"


@dataclass
class Target:
    """One Bubble type and where its rows go here: a data type's model (for users: the
    profile's, or None when the user type has no fields of its own)."""

    typed: TypePlan
    model: type[models.Model] | None
    progress: ImportedType
    #: (Bubble key, field here, how its values are read)
    readers: list[tuple[str, str, Reader]] = field(default_factory=list)
    #: (Bubble key, field here, a list?) of the links
    links: list[tuple[str, str, bool]] = field(default_factory=list)
    #: users: the profile's field pointing at the account
    profile_link: str = ""

    def link_keys(self) -> dict[str, str]:
        """Each link's field here → its Bubble key (for the report)."""
        keys = {name: key for key, name, _ in self.links}
        keys[CREATED_BY] = "Created By"
        if self.profile_link:
            keys[self.profile_link] = "(its user account)"
        return keys
