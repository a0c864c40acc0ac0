"""A data type defined without code works everywhere a code-defined one does, at once:
workflows create, search and change its things, privacy rules filter them, the Data API
reads and writes them under Bubble's names, triggers fire on them."""

from __future__ import annotations

import pytest

from tests.workflows.data_model.conftest import open_leads
from workflows import data_types, engine
from workflows.models import PrivacyRule

pytestmark = pytest.mark.usefixtures("lead_type")

CREATE_AND_FIND = [
    {
        "id": "lead",
        "type": "create_thing",
        "data_type": "Lead",
        "fields": {"email": "{{ params.email }}", "score": 5, "tags": ["new"]},
    },
    {
        "id": "found",
        "type": "return_data",
        "data": {
            "email": "{{ steps.lead.email }}",
            "count": "{{ search('Lead', score__gte=1) | count }}",
        },
    },
]


def test_a_workflow_creates_and_searches_things_of_a_new_type(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "email", "type": "text"}], actions=CREATE_AND_FIND, ignore_privacy=True
    )
    result = engine.run(wf, {"email": "ann@example.com"}, user)
    assert result.ok, result.error
    assert result.response == {"email": "ann@example.com", "count": 1}
    lead = data_types.get_model("Lead").objects.get()
    assert lead.created_by == user and lead.tags == ["new"]


def test_a_required_and_unique_field_is_checked_like_any_other(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "email", "type": "text", "optional": True}],
        actions=CREATE_AND_FIND,
        ignore_privacy=True,
    )
    assert engine.run(wf, {"email": "ann@example.com"}, user).ok
    again = engine.run(wf, {"email": "ann@example.com"}, user)
    assert again.error.code == "INVALID_PARAMETER" and again.error.parameter == "email"
    assert "already exists" in again.error.message
    empty = engine.run(wf, {}, user)
    assert "email" in empty.error.message and "blank" in empty.error.message


def test_the_data_api_reads_and_writes_them_under_bubble_s_names(api, key, user):
    open_leads()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    made = api.post(
        "/api/1.1/obj/lead", {"email": "bob@example.com", "score": 3}, format="json", **headers
    )
    assert made.status_code == 201, made.content
    thing_id = made.json()["id"]
    got = api.get(f"/api/1.1/obj/lead/{thing_id}", **headers).json()["response"]
    assert got["_type"] == "Lead" and got["email"] == "bob@example.com" and got["score"] == 3
    assert {"Created Date", "Modified Date", "Created By"} <= set(got)


def test_privacy_rules_filter_them(make_workflow, user, other_user):
    model = data_types.get_model("Lead")
    model.objects.create(email="mine@example.com", owner=user)
    model.objects.create(email="theirs@example.com", owner=other_user)
    PrivacyRule.objects.create(
        data_type="Lead",
        name="owner",
        condition="thing.owner == current_user",
        view_all=True,
        find_in_searches=True,
    )
    wf = make_workflow(
        actions=[
            {
                "type": "return_data",
                "data": {"emails": "{{ search('Lead') | map(attribute='email') | list }}"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert result.response == {"emails": ["mine@example.com"]}


def test_a_trigger_fires_on_their_changes(make_workflow, user, drain):
    make_workflow(
        "lead-warmed",
        kind="trigger",
        data_type="Lead",
        on=["update"],
        only_when="thing.score > thing_before.score",
        ignore_privacy=True,
        actions=[{"type": "make_changes", "thing": "{{ thing }}", "changes": {"phone": "call"}}],
    )
    model = data_types.get_model("Lead")
    lead = model.objects.create(email="ann@example.com", score=1)
    lead.score = 9
    lead.save()  # committed at once: these tests run without a surrounding transaction
    assert drain() == ["succeeded"]
    assert model.objects.get(pk=lead.pk).phone == "call"


def test_renaming_a_type_renames_it_in_workflows_and_privacy_rules(make_workflow, user):
    from workflows.data_model import schema
    from workflows.models import DataType, DefinitionChange, Workflow

    PrivacyRule.objects.create(
        data_type="Lead", everyone_else=True, view_all=True, find_in_searches=True
    )
    wf = make_workflow(
        parameters=[{"key": "lead", "type": "thing", "data_type": "Lead"}],
        actions=[
            {"type": "create_thing", "data_type": "lead", "fields": {"email": "new@example.com"}},
            {
                "type": "return_data",
                "data": {"n": '{{ search("Lead") | count }}', "e": "{{ params.lead.email }}"},
            },
        ],
    )
    first = data_types.get_model("Lead").objects.create(email="ann@example.com")
    schema.change_data_type(DataType.objects.get(name="Lead"), {"name": "Prospect"})
    stored = str(Workflow.objects.get(pk=wf.pk).actions.values_list("config", flat=True)[::1])
    assert "Prospect" in stored and "Lead" not in stored
    assert PrivacyRule.objects.filter(data_type="Prospect").count() == 1
    assert DefinitionChange.objects.filter(kind="workflow", name=wf.name).exists()
    result = engine.run(Workflow.objects.get(pk=wf.pk), {"lead": first.pk}, user)
    assert result.ok, result.error
    assert result.response == {"n": 2, "e": "ann@example.com"}


def test_renaming_a_field_lists_where_its_old_name_is_still_read(make_workflow):
    from workflows.data_model import schema
    from workflows.models import DataType

    make_workflow(
        "reads-phone",
        parameters=[{"key": "lead", "type": "thing", "data_type": "Lead"}],
        actions=[{"type": "return_data", "data": {"p": "{{ params.lead.phone }}"}}],
    )
    make_workflow("other", actions=[{"type": "return_data", "data": {"p": "telephone"}}])
    phone = DataType.objects.get(name="Lead").fields.get(name="phone")
    renamed = schema.change_field(phone, {"name": "mobile"})
    assert renamed.mentioned_in == ["reads-phone"]


def test_a_workflow_runs_on_each_thing_of_a_list_of_them(make_workflow, user, drain):
    make_workflow(
        "score-one",
        ignore_privacy=True,
        parameters=[{"key": "lead", "type": "thing", "data_type": "Lead"}],
        actions=[{"type": "make_changes", "thing": "{{ params.lead }}", "changes": {"score": 50}}],
    )
    batch = make_workflow(
        "score-all",
        ignore_privacy=True,
        actions=[
            {
                "type": "schedule_workflow_on_list",
                "list": "{{ search('Lead', score__lt=10) }}",
                "workflow": "score-one",
                "params": {"lead": "{{ item }}"},
            }
        ],
    )
    model = data_types.get_model("Lead")
    for n in range(3):
        model.objects.create(email=f"{n}@example.com", score=n)
    model.objects.create(email="hot@example.com", score=99)
    assert engine.run(batch, {}, user).ok
    assert drain() == ["succeeded"] * 3
    assert sorted(model.objects.values_list("score", flat=True)) == [50, 50, 50, 99]
