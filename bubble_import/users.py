"""Bubble's users as user accounts: each keeps its Bubble id (``UserUniqueId``), its email
where Bubble's privacy rules let the token read it, the date it joined, and no usable
password — Bubble never exports one; each user sets theirs through the password reset
(docs/coming-from-bubble.md#bring-your-app-over).

An account that exists already with the same email (and no Bubble id yet) is the user's:
it is given the id rather than doubled. A user Bubble shows without an email gets an
account without one, which the admin can complete. A page's accounts are written in bulk:
a few queries a page, not a few per user.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Lower

from workflows.accounts import email_field, normalize_email, random_text
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
    claims: list[UserUniqueId] = []
    made: list[tuple[str, Any]] = []
    for unique_id, _row, created in rows:
        email = emails[unique_id]
        if unique_id in known:
            _update_email(model, known[unique_id], email, holders)
            answer[unique_id] = known[unique_id]
            continue
        holder = holders.get(email) if email else None
        if holder is not None and not holder[1]:  # an account of this email, unclaimed
            holders[email] = (holder[0], True)
            claims.append(UserUniqueId(user_id=holder[0], unique_id=unique_id))
            answer[unique_id] = holder[0]
            continue
        made.append((unique_id, _new_account(model, email if holder is None else "", created)))
        if email and holder is None:
            holders[email] = (None, True)
    if made:
        _set_usernames(model, [account for _, account in made])
        model._default_manager.bulk_create([account for _, account in made])
        for unique_id, account in made:
            claims.append(UserUniqueId(user_id=account.pk, unique_id=unique_id))
            answer[unique_id] = account.pk
    UserUniqueId.objects.bulk_create(claims)
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


def _holders(model: type[models.Model], emails: list[str]) -> dict[str, tuple[Any, bool]]:
    """The accounts holding these emails (in any case): email → (its pk, claimed by a
    Bubble user already)."""
    if not emails:
        return {}
    rows = (
        model._default_manager.annotate(lower_email=Lower(email_field()))
        .filter(lower_email__in=emails)
        .values_list("lower_email", "pk", "bubble_unique_id")
    )
    return {email: (pk, claimed is not None) for email, pk, claimed in rows}


def _update_email(
    model: type[models.Model], pk: Any, email: str, holders: dict[str, tuple[Any, bool]]
) -> None:
    """A user whose email changed on Bubble gets it here too, unless another has it."""
    if not email:
        return
    holder = holders.get(email)
    if holder is None:
        model._default_manager.filter(pk=pk).update(**{email_field(): email})
        holders[email] = (pk, True)


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
    field = model._meta.get_field(model.USERNAME_FIELD)
    name = email_field()
    wanted = [getattr(a, name) for a in accounts if getattr(a, name)]
    taken = set(
        model._default_manager.filter(**{f"{model.USERNAME_FIELD}__in": wanted}).values_list(
            model.USERNAME_FIELD, flat=True
        )
    )
    for account in accounts:
        email = getattr(account, name)
        fits = email and len(email) <= (field.max_length or len(email)) and email not in taken
        username = email if fits else f"user-{random_text(12).lower()}"
        taken.add(username)
        setattr(account, model.USERNAME_FIELD, username)
