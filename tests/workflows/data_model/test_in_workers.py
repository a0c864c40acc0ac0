"""A worker process that built its models before a data type was made (``make run``'s
scheduler, started before a builder made the type in the admin) sees it as soon as a
scheduled run needs it: a workflow using the new type compiles and runs there, as it
does in the web process."""

from __future__ import annotations

from scheduler import services
from tests.scheduler.due import ran
from workflows import data_types
from workflows.data_model import registry
from workflows.engine import cache


def _as_a_process_built_before_it() -> None:
    """This process's models as they were before Lead was made; nothing compiled yet. Set
    as a rebuild sets them (not undone afterwards: the run's own rebuild puts them right,
    and the data model's fixtures rebuild them after the test)."""
    registry._built_version = registry.stored_version() - 1
    registry._by_name = {k: v for k, v in registry._by_name.items() if k != "lead"}
    data_types.clear_cache()
    cache.clear()
    assert "Lead" not in data_types.allowed_labels()  # outside any unit of work: as built


def test_a_scheduled_run_of_a_workflow_using_a_new_type_runs(
    lead_type, make_workflow, user, monkeypatch
):
    make_workflow(
        "add-lead",
        expose=True,
        parameters=[{"key": "email", "type": "text"}],
        actions=[
            {"type": "create_thing", "data_type": "Lead", "fields": {"email": "{{ params.email }}"}}
        ],
    )
    row = services.schedule(
        services.schedulable_workflow("add-lead"), {"email": "a@example.com"}, None, actor=user
    )
    _as_a_process_built_before_it()
    ran(row)
    assert data_types.get_model("Lead").objects.filter(email="a@example.com").exists()
