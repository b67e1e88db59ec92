"""Fixtures of the integration tests: the settings of the shared stack and its table, read
directly with boto3 (tests/support/table.py), independently of the store under test.

A module with a table of its own overrides `settings` (e.g. test_users_delete.py)."""

from __future__ import annotations

import pytest

from config_api.settings import Settings
from tests.support.stack import settings_for
from tests.support.table import Table


@pytest.fixture(scope="session")
def settings(seeded: str) -> Settings:
    """The settings of the shared API server (the `api` fixture)."""
    return settings_for(seeded)


@pytest.fixture(scope="module")
def table(settings: Settings) -> Table:
    return Table(settings)
