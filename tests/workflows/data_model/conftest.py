"""Data types defined without code are real tables, made outside the test's transaction
(SQLite's schema editor must be): these tests run with ``transaction=True``, and their
tables are dropped after each test, since flushing the database does not."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from workflows.data_model import registry


def drop_thing_tables() -> None:
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names(cursor) if t.startswith("things_")
        ]
    with connection.schema_editor() as editor:
        for table in tables:
            editor.execute(f"DROP TABLE {editor.quote_name(table)}")


@pytest.fixture
def data_model(transactional_db):
    """A clean slate of data types; their tables are dropped afterwards."""
    drop_thing_tables()
    registry.forget()
    yield
    registry.forget()
    drop_thing_tables()


LEAD = {
    "name": "Lead",
    "display_field": "email",
    "fields": [
        {"name": "email", "type": "text", "required": True, "unique": True},
        {"name": "phone", "type": "text"},
        {"name": "score", "type": "number", "default": 0, "indexed": True},
        {"name": "owner", "type": "thing", "data_type": "User"},
        {"name": "tags", "type": "text", "list": True},
        {"name": "stage", "type": "option", "option_set": "Stage"},
    ],
}
STAGE = {"name": "Stage", "options": ["New", "Qualified", "Won", "Lost"]}


@pytest.fixture
def lead_type(data_model):
    from workflows.data_model import schema

    schema.save_option_set(STAGE)
    return schema.create_data_type(LEAD)


def open_leads() -> None:
    """A privacy rule letting everyone see, find and create a ``Lead`` through the API."""
    from workflows.models import PrivacyRule

    PrivacyRule.objects.create(
        data_type="Lead",
        everyone_else=True,
        view_all=True,
        find_in_searches=True,
        create_via_api=True,
    )


@pytest.fixture
def send(api, key):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def call(method: str, path: str, data=None, **query):
        url = f"/api/1.1/obj/{path}"
        if method == "get":
            return api.get(url, query, **headers)
        if method == "bulk":
            body = "\n".join(json.dumps(line) for line in data).encode()
            return api.generic("POST", f"{url}/bulk", body, content_type="text/plain", **headers)
        return getattr(api, method)(url, data, format="json", **headers)

    return call
