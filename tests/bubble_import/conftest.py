"""Fixtures of the import's tests: a clean slate of data types (their tables dropped after
each test) and the stand-in's token in the environment, as an operator sets it."""

from __future__ import annotations

import pytest

from tests.workflows.data_model.conftest import data_model  # noqa: F401

from .stand_in import TOKEN


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("BUBBLE_SOURCE_API_TOKEN", TOKEN)
