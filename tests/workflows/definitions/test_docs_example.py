"""The complete example in docs/import-export.md imports, so the docs cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows.transfer import ImportStatus, WorkflowFile, import_definitions

DOC = Path(__file__).resolve().parents[3] / "docs" / "import-export.md"


@pytest.mark.django_db
def test_the_documented_file_imports():
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S).group(1)
    report = import_definitions([WorkflowFile("doc.yaml", example)])
    assert report.count(ImportStatus.CREATED) == 2
