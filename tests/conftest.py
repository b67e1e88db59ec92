"""Session fixtures: one AWS emulator (or TEST_AWS_ENDPOINT_URL), seeded, and one API server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from config_api.cli.main import seed_stack
from tests.support.stack import (
    Chaos,
    api_server,
    client,
    emulator_in_process,
    settings_for,
    use_local_credentials,
)


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    use_local_credentials()
    external = os.environ.get("TEST_AWS_ENDPOINT_URL")
    if external:
        yield external
        return
    with emulator_in_process(seed=1234) as url:
        yield url


@pytest.fixture(scope="session")
def seeded(aws_endpoint: str) -> str:
    seed_stack(settings_for(aws_endpoint))
    return aws_endpoint


@pytest.fixture
def chaos(seeded: str) -> Iterator[Chaos]:
    control = Chaos(seeded)
    control.clear()
    yield control
    control.clear()


@pytest.fixture(scope="session")
def api_url(seeded: str) -> Iterator[str]:
    with api_server(settings_for(seeded)) as url:
        yield url


@pytest.fixture
def api(api_url: str) -> Iterator[httpx.Client]:
    with client(api_url) as http:
        yield http
