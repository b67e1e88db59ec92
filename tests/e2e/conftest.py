"""The end-to-end stack (tests/support/e2e.py) for this directory's tests.

`seeded` and `api_url` are overridden here, so the shared `chaos` and `api` fixtures of
tests/conftest.py drive these processes instead of the in-process servers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.e2e import E2EStack, start_e2e_stack


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EStack]:
    with start_e2e_stack(tmp_path_factory.mktemp("e2e-logs")) as running:
        yield running


@pytest.fixture(scope="session")
def seeded(e2e_stack: E2EStack) -> str:
    """The emulator process, provisioned by the API process (`serve --provision`)."""
    return e2e_stack.emulator_url


@pytest.fixture(scope="session")
def api_url(e2e_stack: E2EStack) -> str:
    return e2e_stack.api_url
