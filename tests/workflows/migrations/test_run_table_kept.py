"""On SQLite, the migrations after the Runs search's (0017) never rebuild the run table: a
rebuild drops the search's triggers, and runs would stop being found."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")

TRIGGERS = {
    "workflows_run_text_insert",
    "workflows_run_text_finish",
    "workflows_run_text_change",
    "workflows_run_text_delete",
}


@pytest.mark.django_db
def test_the_search_triggers_are_there_after_every_migration():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        found = {name for (name,) in cursor.fetchall()}
    assert TRIGGERS <= found


@pytest.mark.django_db
def test_a_run_with_a_version_is_written_and_searched(make_workflow):
    from workflows import engine
    from workflows.models import Run

    workflow = make_workflow("findable", actions=[{"type": "return_data", "data": {"x": 1}}])
    engine.run(workflow, {}, None)
    run = Run.objects.get(workflow_name="findable")
    assert (run.version, run.test) == (None, False)
