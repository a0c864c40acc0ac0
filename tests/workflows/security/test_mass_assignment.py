"""Security: no workflow writes privilege or credential fields (PROTECTED_FIELDS), so a
workflow fed by an anonymous caller's parameters cannot make anyone staff or superuser,
and a staff builder cannot make themself superuser."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from workflows import engine
from workflows.exceptions import DefinitionError

User = get_user_model()
PROTECTED = ["is_staff", "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
VALUES = {
    "is_staff": True,
    "is_superuser": True,
    "groups": [],
    "user_permissions": [],
    "last_login": "2020-01-01T00:00:00Z",
    "date_joined": "2020-01-01T00:00:00Z",
}


@pytest.mark.parametrize("field", PROTECTED)
def test_signup_workflow_cannot_set_protected_fields(make_workflow, field):
    with pytest.raises(DefinitionError, match=f"field '{field}' is protected"):
        make_workflow(
            "signup",
            expose=True,
            auth="none",
            parameters=[{"key": "username", "type": "text"}, {"key": "v", "type": "text"}],
            actions=[
                {
                    "type": "create_thing",
                    "data_type": "auth.User",
                    "fields": {"username": "{{ params.username }}", field: "{{ params.v }}"},
                }
            ],
        )


@pytest.mark.parametrize("field", PROTECTED)
def test_make_changes_on_a_user_parameter_is_refused_at_save_time(make_workflow, field):
    with pytest.raises(DefinitionError, match=f"field '{field}' is protected"):
        make_workflow(
            parameters=[{"key": "u", "type": "thing", "data_type": "auth.User"}],
            actions=[{"type": "make_changes", "thing": "{{ params.u }}", "changes": {field: 1}}],
        )


def test_a_staff_builder_cannot_make_themself_superuser(make_workflow):
    with pytest.raises(DefinitionError, match="'is_superuser' is protected"):
        make_workflow(
            actions=[
                {
                    "type": "make_changes",
                    "thing": "{{ current_user }}",
                    "changes": {"is_superuser": True},
                }
            ]
        )


@pytest.mark.parametrize("field", PROTECTED)
def test_when_the_type_is_only_known_at_run_time_the_run_refuses(
    make_workflow, call, staff_user, field
):
    """make_changes_to_list on a search, and make_changes on a step's result: the data
    type is not known when saving, so the step fails and nothing is written."""
    make_workflow(
        "promote",
        expose=True,
        auth="none",
        parameters=[{"key": "name", "type": "text"}],
        actions=[
            {
                "type": "make_changes_to_list",
                "list": "{{ search('auth.User', username=params.name) }}",
                "changes": {"first_name": "pwned", field: VALUES[field]},
            }
        ],
    )
    response = call("promote", {"name": "staff"})  # anonymous
    assert response.status_code == 500 and response.json()["code"] == "WORKFLOW_ERROR"
    assert f"'{field}' is protected" in response.json()["message"]
    fresh = User.objects.get(pk=staff_user.pk)
    assert fresh.first_name == "" and not fresh.is_superuser


def test_a_user_found_by_search_cannot_be_promoted(make_workflow, user):
    wf = make_workflow(
        actions=[
            {"type": "make_changes", "thing": "{{ current_user }}", "changes": {"first_name": "A"}},
            {
                "type": "make_changes",
                "thing": "{{ search('auth.User', username='alice').first }}",
                "changes": {"is_staff": True},
            },
        ]
    )
    result = engine.run(wf, {}, user)
    assert not result.ok and "'is_staff' is protected" in result.error.message
    user.refresh_from_db()
    assert not user.is_staff and user.first_name == ""  # the whole run rolled back


def test_group_membership_cannot_be_granted(make_workflow, user):
    Group.objects.create(name="admins")
    with pytest.raises(DefinitionError, match="'groups' is protected"):
        make_workflow(
            actions=[
                {"type": "make_changes", "thing": "{{ current_user }}", "changes": {"groups": []}}
            ]
        )


def test_ordinary_user_fields_stay_writable(make_workflow, call, user, key):
    make_workflow(
        "rename",
        expose=True,
        parameters=[{"key": "first_name", "type": "text"}],
        actions=[
            {
                "id": "u",
                "type": "make_changes",
                "thing": "{{ current_user }}",
                "changes": {"first_name": "{{ params.first_name }}"},
            },
            {"type": "return_data", "data": {"staff": "{{ steps.u.is_staff }}"}},
        ],
    )
    response = call("rename", {"first_name": "Alicia"}, key=key)
    assert response.json()["response"] == {"staff": False}
    user.refresh_from_db()
    assert user.first_name == "Alicia"


def test_operators_can_change_the_list(make_workflow, user, settings):
    settings.BUBBLE = {**settings.BUBBLE, "PROTECTED_FIELDS": {"auth.User": ["is_superuser"]}}
    wf = make_workflow(
        actions=[
            {"type": "make_changes", "thing": "{{ current_user }}", "changes": {"is_staff": True}}
        ]
    )
    assert engine.run(wf, {}, user).ok
    user.refresh_from_db()
    assert user.is_staff
