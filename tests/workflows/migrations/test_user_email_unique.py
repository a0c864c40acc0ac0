"""The migration that makes users' emails unique in the database: it refuses, listing
them, while users share an email, and makes the index once they do not."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from workflows.accounts import EMAIL_UNIQUE_CONSTRAINT

User = get_user_model()
migration = importlib.import_module("workflows.migrations.0012_user_email_unique")


def _apply(step) -> None:
    with connection.schema_editor() as editor:
        step(apps, editor)


@pytest.mark.django_db(transaction=True)
def test_shared_emails_stop_the_migration_until_each_user_has_their_own():
    assert migration.NAME == EMAIL_UNIQUE_CONSTRAINT  # its refusals are recognized
    _apply(migration.remove_index)  # as before the migration
    try:
        ann = User.objects.create_user("ann", "ann@example.com")
        User.objects.create_user("ann2", "ANN@example.com")
        User.objects.create_user("bob", "bob@example.com")
        User.objects.create_user("blank-1")
        User.objects.create_user("blank-2")
        with pytest.raises(RuntimeError) as refused:
            _apply(migration.add_index)
        message = str(refused.value)
        assert "1 email(s) belong to more than one user" in message
        assert f"ann@example.com: users {ann.pk}, {ann.pk + 1}" in message
        assert "bob@" not in message and "admin → Users" in message
        User.objects.filter(username="ann2").update(email="ann.two@example.com")
        _apply(migration.add_index)
    finally:  # whatever happened above, the index is back for the other tests
        if not _has_index():
            User.objects.all().delete()
            _apply(migration.add_index)
    assert _has_index()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ann3", "Ann@Example.com")


def _has_index() -> bool:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, User._meta.db_table)
    return EMAIL_UNIQUE_CONSTRAINT in constraints
