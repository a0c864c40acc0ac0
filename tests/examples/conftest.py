"""The example workflows, imported the way ``load_examples`` does."""

from __future__ import annotations

import pytest

from examples.services import example_workflow_files
from workflows.transfer import import_definitions


def pytest_collection_modifyitems(items):
    """The examples run under their own privacy rules (examples/workflows/privacy.yaml),
    not the everyone-may-see-everything rule other tests get."""
    for item in items:
        if "tests/examples/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.privacy)


@pytest.fixture
def examples(db):
    return import_definitions(example_workflow_files())
