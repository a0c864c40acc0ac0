"""The admin's user pages refuse an email another user has, in any case, on the email
field (not a server error from the database's unique index)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .conftest import form_data

User = get_user_model()


def test_changing_a_user_to_another_s_email_in_any_case_is_refused_on_the_field(
    root_client, user, other_user
):
    url = f"/admin/auth/user/{other_user.pk}/change/"
    data = form_data(root_client.get(url))
    data["email"] = "ALICE@example.com"
    response = root_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["email"] == ["there is already a user with the email 'ALICE@example.com'"]
    other_user.refresh_from_db()
    assert other_user.email == "bob@example.com"


def test_a_user_keeps_their_own_email_and_may_change_its_case(root_client, user):
    url = f"/admin/auth/user/{user.pk}/change/"
    data = form_data(root_client.get(url))
    data["email"] = "Alice@Example.com"
    response = root_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email.startswith("Alice@")  # its own email, in another case
