"""User tokens in the admin: listed by user, never shown, revoked one by one or all of a
user's at once."""

from __future__ import annotations

from workflows.models import UserToken
from workflows.tokens import user_token_create

CHANGELIST = "/admin/workflows/usertoken/"


def test_the_list_and_a_token_s_page_never_show_its_secret(root_client, user):
    row, plain, _ = user_token_create(user=user, name="log_user_in")
    page = root_client.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert row.prefix in html and "alice" in html and "log_user_in" in html
    assert plain not in html and plain.split(".")[1] not in html
    detail = root_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert row.prefix in detail and plain.split(".")[1] not in detail


def test_tokens_cannot_be_added_in_the_admin(root_client):
    assert root_client.get(CHANGELIST + "add/").status_code == 403


def test_filtered_by_user(root_client, user, other_user):
    user_token_create(user=user)
    bobs, _, _ = user_token_create(user=other_user)
    page = root_client.get(CHANGELIST, {"user__id__exact": other_user.pk})
    assert page.status_code == 200
    assert [t.pk for t in page.context["cl"].result_list] == [bobs.pk]
    # the filter lists the users holding tokens
    assert "bob" in page.content.decode() and "alice" in page.content.decode()


def test_revoke_selected(root_client, user):
    one, _, _ = user_token_create(user=user)
    two, _, _ = user_token_create(user=user)
    response = root_client.post(
        CHANGELIST, {"action": "revoke_selected", "_selected_action": [one.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    assert set(UserToken.objects.filter(revoked=True).values_list("pk", flat=True)) == {one.pk}
    assert not UserToken.objects.get(pk=two.pk).revoked


def test_revoke_all_of_their_users(root_client, user, other_user):
    one, _, _ = user_token_create(user=user)
    user_token_create(user=user)
    bobs, _, _ = user_token_create(user=other_user)
    response = root_client.post(
        CHANGELIST,
        {"action": "revoke_all_of_their_users", "_selected_action": [one.pk]},
        follow=True,
    )
    assert "Revoked 2 token(s) of 1 user(s)." in response.content.decode()
    assert not UserToken.objects.filter(user=user, revoked=False).exists()
    assert not UserToken.objects.get(pk=bobs.pk).revoked


def test_a_staff_user_without_the_permission_sees_nothing(client, staff_user, user):
    user_token_create(user=user)
    client.force_login(staff_user)
    assert client.get(CHANGELIST).status_code == 403
