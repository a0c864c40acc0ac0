"""Bubble's users as user accounts: each keeps its Bubble id (``UserUniqueId``), its email
where Bubble's privacy rules let the token read it, the date it joined, and no usable
password — Bubble never exports one; each user sets theirs through the password reset
(docs/coming-from-bubble.md#bring-your-app-over).

An account that exists here already is never taken over, whatever its email: the app
being read could name anyone's address. A Bubble user whose email an account here holds
gets an account of its own without that email (reported), as does one Bubble shows without
an email; the admin can complete them. An import changes the email of the accounts
imports made only, and never of a staff or superuser account. A page's accounts are
written in bulk: a few queries a page, not a few per user.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Lower

from workflows.accounts import email_field, fits_as_username, made_up_username, normalize_email
from workflows.exceptions import InvalidData
from workflows.models import UserUniqueId

Row = tuple[str, Mapping[str, Any], datetime.datetime]  # Bubble id, row, Created Date


def write_accounts(rows: Sequence[Row], note: Callable[[dict[str, str]], None]) -> dict[str, Any]:
    """The accounts of ``rows`` made or brought up to date; their primary keys by Bubble
    id. What could not be kept is given to ``note``."""
    model = get_user_model()
    emails = {unique_id: _email(row, unique_id, note) for unique_id, row, _ in rows}
    known = dict(
        UserUniqueId.objects.filter(unique_id__in=list(emails)).values_list("unique_id", "user_id")
    )
    holders = _holders(model, [e for e in emails.values() if e])
    answer: dict[str, Any] = {}
    ids: list[UserUniqueId] = []
    made: list[tuple[str, Any]] = []
    for unique_id, _row, created in rows:
        email = emails[unique_id]
        if unique_id in known:
            _update_email(model, known[unique_id], email, holders)
            answer[unique_id] = known[unique_id]
            continue
        taken = bool(email) and email in holders
        if taken:
            note({"id": unique_id, "field": "email", "why": "an account here has this email"})
        made.append((unique_id, _new_account(model, "" if taken else email, created)))
        if email and not taken:
            holders[email] = None
    if made:
        _set_usernames(model, [account for _, account in made])
        model._default_manager.bulk_create([account for _, account in made])
        for unique_id, account in made:
            ids.append(UserUniqueId(user_id=account.pk, unique_id=unique_id))
            answer[unique_id] = account.pk
    UserUniqueId.objects.bulk_create(ids)
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


def _holders(model: type[models.Model], emails: list[str]) -> dict[str, Any]:
    """The accounts holding these emails (in any case): email → its pk."""
    if not emails:
        return {}
    rows = (
        model._default_manager.annotate(lower_email=Lower(email_field()))
        .filter(lower_email__in=emails)
        .values_list("lower_email", "pk")
    )
    return dict(rows)


def _update_email(model: type[models.Model], pk: Any, email: str, holders: dict[str, Any]) -> None:
    """A user whose email changed on Bubble gets it here too, unless another has it or the
    account was made staff here since (an app must not move an admin's email)."""
    if not email or email in holders:
        return
    ordinary = model._default_manager.filter(pk=pk)
    if hasattr(model, "is_staff"):
        ordinary = ordinary.filter(is_staff=False, is_superuser=False)
    if ordinary.update(**{email_field(): email}):
        holders[email] = pk


def _new_account(model: type[models.Model], email: str, created: datetime.datetime) -> Any:
    account = model()
    if email:
        setattr(account, email_field(), email)
    if hasattr(account, "date_joined"):
        account.date_joined = created
    account.set_unusable_password()
    return account


def _set_usernames(model: type[models.Model], accounts: list[Any]) -> None:
    """Each new account's username: its email where that fits and is free, else a made-up
    one (the email is what logs in), as a sign-up's (``accounts.default_username``)."""
    name = email_field()
    wanted = [getattr(a, name) for a in accounts if getattr(a, name)]
    taken = set(
        model._default_manager.filter(**{f"{model.USERNAME_FIELD}__in": wanted}).values_list(
            model.USERNAME_FIELD, flat=True
        )
    )
    for account in accounts:
        email = getattr(account, name)
        fits = email and email not in taken and fits_as_username(email)
        username = email if fits else made_up_username()
        taken.add(username)
        setattr(account, model.USERNAME_FIELD, username)
