"""The admin's user pages refuse an email another user has, in any case, as every other
path that writes a user does (``accounts.check_email_unique``): without this, the
database's unique index (migration 0012_user_email_unique) would refuse the save with a
server error instead of a message on the email field.

The user model's registered admin is kept; only its forms are wrapped, so an operator's own
``UserAdmin`` gets the check too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from .. import accounts


class EmailUniqueFormMixin:
    """Adds the case-insensitive email check to a user ``ModelForm``."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        name = accounts.email_field()
        email = cleaned.get(name) if name in self.fields else None  # type: ignore[attr-defined]
        if email and accounts.email_taken(email, exclude=self.instance):  # type: ignore[attr-defined]
            self.add_error(name, ValidationError(accounts.email_taken_message(email)))  # type: ignore[attr-defined]
        return cleaned


def _checked(form: type[forms.ModelForm]) -> type[forms.ModelForm]:
    if issubclass(form, EmailUniqueFormMixin):
        return form
    return type(form.__name__, (EmailUniqueFormMixin, form), {"__module__": __name__})


def check_user_emails_in_admin() -> None:
    """Wrap the user model admin's change and add forms: called by the app's ``ready()``,
    once every app's admin module has registered its pages."""
    model = accounts.user_model()
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return
    model_admin.form = _checked(model_admin.form)
    if getattr(model_admin, "add_form", None) is not None:
        model_admin.add_form = _checked(model_admin.add_form)
