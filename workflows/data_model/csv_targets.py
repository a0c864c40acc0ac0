"""Finding the things a CSV file names (workflows.data_model.csv_io): by Bubble's unique id,
by numeric id, an option by its display, a user by email or username; in bulk, a chunk of
values per query, remembered for the rest of the import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Lower

from .. import accounts, data_types
from ..models.data_model import Option, OptionSet
from .csv_values import reference_form

#: values per ``IN (...)`` of a look-up (SQLite's limit on parameters is the smallest)
LOOKUP_CHUNK = 500
Model = type[models.Model]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Targets:
    """The things (or options) one kind of reference may name, found by what a file writes:
    a unique id, a numeric id, an option's display, a user's email or username. Looked up
    in bulk and remembered; rows this import inserted are found by their unique ids."""

    def __init__(self, model: Model, option_set_id: int | None, imported: dict[str, int]):
        self.model = model
        self.imported = imported
        self.known: dict[str, int] = {}
        self.looked_up: set[str] = set()
        self.option_set = None
        if model is Option:
            self.option_set = OptionSet.objects.get(pk=option_set_id)
            for pk, display in Option.objects.filter(option_set_id=option_set_id).values_list(
                "pk", "display"
            ):
                self.known[display.lower()] = pk
                self.known.setdefault(str(pk), pk)
        self.is_user = accounts.is_user_model(model)

    def _key(self, token: str) -> str:
        if self.option_set is not None:
            return token.lower()
        form = reference_form(token)
        if form == "id":
            return str(int(token))
        return token.lower() if form == "text" else token

    def get(self, token: str) -> int | None:
        if token in self.imported:
            return self.imported[token]
        return self.known.get(self._key(token))

    def look_up(self, tokens: Iterable[str]) -> None:
        """Find in the database, at once, the tokens not known yet."""
        if self.option_set is not None:
            return
        unknown = {self._key(t) for t in tokens} - self.looked_up - set(self.known)
        unknown -= set(self.imported)
        if not unknown:
            return
        self.looked_up |= unknown
        by_form: dict[str, list[str]] = {}
        for token in unknown:
            by_form.setdefault(reference_form(token), []).append(token)
        manager = self.model._base_manager
        for chunk in chunks(by_form.get("unique_id", []), LOOKUP_CHUNK):
            rows = manager.filter(unique_id__in=chunk).values_list("unique_id", "pk")
            self.known.update(rows)
        for chunk in chunks(by_form.get("id", []), LOOKUP_CHUNK):
            ids = [int(t) for t in chunk]
            self.known.update(
                (str(pk), pk) for pk in manager.filter(pk__in=ids).values_list("pk", flat=True)
            )
        if self.is_user:
            self._look_up_users(by_form.get("text", []))

    def _look_up_users(self, tokens: list[str]) -> None:
        user_model = get_user_model()
        email, username = user_model.get_email_field_name(), user_model.USERNAME_FIELD
        for chunk in chunks(tokens, LOOKUP_CHUNK):
            for name in (username, email):
                rows = (
                    user_model._base_manager.annotate(_key=Lower(name))
                    .filter(_key__in=chunk)
                    .values_list("_key", "pk")
                )
                for key, pk in rows:
                    self.known.setdefault(key, pk)

    def missing(self, token: str) -> str:
        if self.option_set is not None:
            return f"{token!r} is not an option of {self.option_set.name}"
        label = data_types.label_of(self.model)
        form = reference_form(token)
        if form == "unique_id":
            return f"no {label} has the unique id {token!r}"
        if form == "id":
            return f"no {label} has the id {token}"
        return f"no user has the email or username {token!r}"
