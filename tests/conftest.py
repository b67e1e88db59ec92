"""Session fixtures: one AWS emulator (or TEST_AWS_ENDPOINT_URL), seeded, and one API server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from config_api.cli.main import seed_stack
from tests.support.stack import LOCAL_ENV, Chaos, api_server, client, settings_for


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    for name, value in LOCAL_ENV.items():
        os.environ.setdefault(name, value)
    external = os.environ.get("TEST_AWS_ENDPOINT_URL")
    if external:
        yield external
        return
    from config_api.local.emulator import Emulator

    emulator = Emulator("127.0.0.1", 0, seed=1234)
    emulator.start()
    try:
        yield emulator.url
    finally:
        emulator.stop()


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
