"""/ready is a readiness probe: one DynamoDB attempt with a short timeout, so it answers within
about a second whatever DynamoDB does, and 503 (never 504) when a dependency is slow or down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from config_api.runtime import Runtime
from config_api.store.readiness import TableProbe
from tests.support.stack import Chaos, api_server, client, settings_for

DESCRIBE_DOWN = [
    {
        "service": "dynamodb",
        "operation": "DescribeTable",
        "error": {"statusCode": 503, "code": "ServiceUnavailable"},
    }
]


class Probed:
    """A server whose readiness probe's DynamoDB attempts are counted on the client."""

    def __init__(self, http: httpx.Client, runtime: Runtime) -> None:
        self.http, self.runtime = http, runtime
        self.attempts = 0
        runtime.probe.client.meta.events.register("before-send.dynamodb.DescribeTable", self._sent)

    def _sent(self, **_: Any) -> None:
        self.attempts += 1

    def ready(self) -> httpx.Response:
        self.attempts = 0
        return self.http.get("/ready")


@pytest.fixture(scope="module")
def probed(seeded: str) -> Iterator[Probed]:
    settings = settings_for(seeded)
    runtime = Runtime.from_settings(settings)
    with api_server(settings, runtime) as url, client(url) as http:
        yield Probed(http, runtime)


def assert_not_ready(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert int(resp.headers["retry-after"]) >= 1
    assert resp.json()["code"] == "service_unavailable"


def test_the_probe_waits_at_most_the_configured_short_timeout(probed: Probed) -> None:
    settings = probed.runtime.settings
    config: Any = probed.runtime.probe.client.meta.config  # stubs omit the resolved values
    assert config.connect_timeout == config.read_timeout == settings.ready_timeout_seconds
    assert settings.ready_timeout_seconds <= 1  # "within about a second"
    assert config.retries["total_max_attempts"] == 1  # and botocore does not retry either


def test_the_probe_timeout_follows_its_setting(seeded: str) -> None:
    probe = TableProbe(settings_for(seeded, ready_timeout_seconds=0.25))
    config: Any = probe.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.25, 0.25)


def test_ready_when_dynamodb_answers(probed: Probed, chaos: Chaos) -> None:
    resp = probed.ready()
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "ready"
    assert probed.attempts == 1


def test_a_slow_dynamodb_is_503_after_one_attempt(probed: Probed, chaos: Chaos) -> None:
    chaos.latency(3000)  # far beyond the probe's timeout; the API's own calls would retry
    assert_not_ready(probed.ready())
    assert probed.attempts == 1
    chaos.latency(0)
    assert probed.ready().status_code == 200


def test_a_failing_dynamodb_is_503_after_one_attempt(probed: Probed, chaos: Chaos) -> None:
    chaos.faults(DESCRIBE_DOWN)
    assert_not_ready(probed.ready())
    assert probed.attempts == 1  # the API's calls would try 5 times; a probe asks once
