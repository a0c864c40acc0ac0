"""The example workflows, imported the way ``load_examples`` does."""

from __future__ import annotations

import pytest

from examples.services import example_workflow_files
from workflows.transfer import import_definitions


@pytest.fixture
def examples(db):
    return import_definitions(example_workflow_files())
