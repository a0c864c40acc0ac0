"""Bubble's users as user accounts: each keeps its Bubble id (``UserUniqueId``), its email
where Bubble's privacy rules let the token read it, the date it joined, and no usable
password — Bubble never exports one; each user sets theirs through the password reset
(docs/coming-from-bubble.md#bring-your-app-over).

An account that exists already with the same email (and no Bubble id yet) is the user's:
it is given the id rather than doubled. A user Bubble shows without an email gets an
account without one, which the admin can complete.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from workflows.accounts import default_username, email_field, normalize_email
from workflows.exceptions import InvalidData
from workflows.models import UserUniqueId


def write_accounts(
    rows: Sequence[tuple[str, Mapping[str, Any], datetime.datetime]],
    note: Callable[[dict[str, str]], None],
) -> dict[str, Any]:
    """The accounts of ``rows`` (Bubble id, row, Created Date) made or brought up to date;
    their primary keys by Bubble id. What could not be kept is given to ``note``."""
    model = get_user_model()
    ids = [unique_id for unique_id, _, _ in rows]
    known = dict(UserUniqueId.objects.filter(unique_id__in=ids).values_list("unique_id", "user_id"))
    accounts = model._default_manager.in_bulk(list(known.values()))
    name = email_field()
    answer: dict[str, Any] = {}
    for unique_id, row, created in rows:
        email = _email(row, unique_id, note)
        account = accounts.get(known.get(unique_id))
        if account is None:
            account = _matching(model, email) or _new_account(model, email, created)
            UserUniqueId.objects.create(user=account, unique_id=unique_id)
        elif email and getattr(account, name) != email and not _taken(model, email, account):
            setattr(account, name, email)
            account.save(update_fields=[name])
        answer[unique_id] = account.pk
    return answer


def _email(row: Mapping[str, Any], unique_id: str, note: Callable[[dict[str, str]], None]) -> str:
    raw = row.get("email")
    if raw is None:
        auth = row.get("authentication")  # where Bubble puts it for some apps
        raw = auth.get("email", {}).get("email") if isinstance(auth, Mapping) else None
        raw = raw if isinstance(raw, str) else None
    if raw is None:
        return ""
    try:
        return normalize_email(raw)
    except InvalidData:
        note({"id": unique_id, "field": "email", "why": "not a valid email address"})
        return ""


def _taken(model: type[models.Model], email: str, account: Any) -> bool:
    others = model._default_manager.filter(**{f"{email_field()}__iexact": email})
    return others.exclude(pk=account.pk).exists()


def _matching(model: type[models.Model], email: str) -> Any:
    """An account with this email that no Bubble user has claimed yet."""
    if not email:
        return None
    return (
        model._default_manager.filter(**{f"{email_field()}__iexact": email})
        .filter(bubble_unique_id__isnull=True)
        .first()
    )


def _new_account(model: type[models.Model], email: str, created: datetime.datetime) -> Any:
    account = model(**{model.USERNAME_FIELD: default_username(email) if email else ""})
    if email and not _taken(model, email, account):
        setattr(account, email_field(), email)
    if not getattr(account, model.USERNAME_FIELD):
        setattr(account, model.USERNAME_FIELD, default_username(""))
    if hasattr(account, "date_joined"):
        account.date_joined = created
    account.set_unusable_password()
    account.save()
    return account
