"""Setting a password from a link: Django's password-reset flow, served by the project.

``send_password_reset_email`` sends Django's reset email (its templates,
``default_token_generator``) and ``create_account_for_someone_else`` can return the same
link; the link opens ``PasswordResetConfirmView`` at ``/accounts/reset/<uid>/<token>/``
(the URL names Django's email template uses), in pages with the admin's look. Setting a
password there ends the user's log-ins (their user tokens are revoked), and the link then
stops working (the token covers the password). See docs/actions.md#account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.urls import path, reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .tokens import user_tokens_revoke_all


def reset_link(user: Any, protocol: str, domain: str) -> str:
    """The page where ``user`` sets a new password (valid ``PASSWORD_RESET_TIMEOUT``, three
    days by default, and until a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    where = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{protocol}://{domain}{where}"


class ResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with two changes: the emails are kept (``messages``) for the
    action to send when its run commits, not sent at once; and users without a usable
    password get one too, as the way an account made for someone else
    (``create_account_for_someone_else``) gets its first password."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[EmailMultiAlternatives] = []

    def get_users(self, email: str) -> Iterator[Any]:
        model = get_user_model()
        name = model.get_email_field_name()
        users = model._default_manager.filter(**{f"{name}__iexact": email, "is_active": True})
        return (u for u in users if getattr(u, name, "").casefold() == email.casefold())

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        self.messages.append(message)


class ConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "enter a new password" page; a password set here logs the user out of
    every session (their tokens may have been in the wrong hands)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        user_tokens_revoke_all(user=form.user)
        return response


class CompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


#: under /accounts/ (bubble_backend/urls.py); the names are those Django's email uses
urlpatterns = [
    path("reset/<uidb64>/<token>/", ConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", CompleteView.as_view(), name="password_reset_complete"),
]
