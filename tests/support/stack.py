"""The one harness of the tests and the benchmarks: settings, tokens, clients, the chaos API,
and the local stack (the emulator in this process or in its own, seeded with the table, the
bucket and the ticker list). Servers are in servers.py, child processes in processes.py.

By default the bundled emulator runs in this process on a free port. Set
`TEST_AWS_ENDPOINT_URL` to run the same tests against another endpoint, e.g. LocalStack.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from config_api.auth.tokens import issue_token
from config_api.cli.main import seed_stack
from config_api.local.emulator import REQUESTS_PATH, Emulator
from config_api.settings import Settings
from tests.support.processes import Process
from tests.support.servers import api_server, free_port, serve

__all__ = [
    "LOCAL_ENV",
    "TEST_SECRET",
    "Chaos",
    "Stack",
    "api_server",
    "auth",
    "child_env",
    "client",
    "emulator_in_process",
    "emulator_process",
    "fault",
    "free_port",
    "local_stack",
    "new_user",
    "serve",
    "settings_for",
    "start_emulator",
    "token",
    "use_local_credentials",
]

TEST_SECRET = "integration-test-secret-with-enough-entropy-0123456789"
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def settings_for(endpoint: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "TABLE_NAME": "config-api-test",
        "TICKER_BUCKET": "config-api-test-tickers",
        "TICKER_KEY": "tickers/us.json",
        "JWT_SECRET": TEST_SECRET,
        "REQUEST_DEADLINE_SECONDS": 10,
    }
    values.update({k.upper(): v for k, v in overrides.items()})
    return Settings(**values)


def token(user_id: str, **claims: Any) -> str:
    return issue_token(user_id, TEST_SECRET, **claims)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(user_id)}"}


def new_user() -> str:
    return f"user-{uuid.uuid4()}"


def client(base_url: str, **kwargs: Any) -> httpx.Client:
    # Enough pooled connections for the benchmarks' client threads to keep theirs alive.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.Client(base_url=base_url, timeout=30, **{"limits": limits, **kwargs})


class Chaos:
    """LocalStack's chaos API, over HTTP (works against the bundled emulator and LocalStack)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.endpoint}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def faults(self, rules: list[dict[str, Any]]) -> None:
        """Replace the fault rules; [] clears them."""
        self._send("POST", "/_localstack/chaos/faults", rules)

    def latency(self, milliseconds: int) -> None:
        self._send("POST", "/_localstack/chaos/effects", {"latency": milliseconds})

    def clear(self) -> None:
        self.faults([])
        self.latency(0)


def fault(code: str, status: int, operation: str | None = None, p: float = 1.0) -> dict[str, Any]:
    """A chaos rule: DynamoDB calls (of `operation`, or all) fail with `code` at rate `p`."""
    rule: dict[str, Any] = {"service": "dynamodb", "probability": p}
    if operation:
        rule["operation"] = operation
    return rule | {"error": {"statusCode": status, "code": code}}


@dataclass(frozen=True)
class Stack:
    """A seeded bundled emulator and the settings of an API that uses it."""

    url: str
    settings: Settings

    @property
    def chaos(self) -> Chaos:
        return Chaos(self.url)

    def requests(self) -> dict[str, dict[str, int]]:
        """AWS requests the emulator served since the last reset, per service and operation."""
        with urllib.request.urlopen(f"{self.url}{REQUESTS_PATH}", timeout=10) as resp:
            counts: dict[str, dict[str, int]] = json.loads(resp.read())
        return counts

    def reset_requests(self) -> None:
        request = urllib.request.Request(f"{self.url}{REQUESTS_PATH}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def dynamodb_requests(self) -> int:
        return sum(self.requests().get("dynamodb", {}).values())


def use_local_credentials() -> None:
    # boto3 reads credentials from the environment; the emulator accepts any.
    for name, value in LOCAL_ENV.items():
        os.environ.setdefault(name, value)


@contextmanager
def emulator_in_process(seed: int | None = None) -> Iterator[str]:
    """The bundled emulator in a thread of this process, on a free port; yields its URL."""
    use_local_credentials()
    emulator = Emulator("127.0.0.1", 0, seed=seed)
    emulator.start()
    try:
        yield emulator.url
    finally:
        emulator.stop()


@contextmanager
def local_stack(**overrides: Any) -> Iterator[Stack]:
    """The emulator in this process, seeded; `overrides` are settings (`settings_for`)."""
    with emulator_in_process(seed=1) as url:
        settings = settings_for(url, **overrides)
        seed_stack(settings)
        yield Stack(url, settings)


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child, with local credentials and no AWS endpoint."""
    env = {**os.environ, **LOCAL_ENV}
    env.pop("AWS_ENDPOINT_URL", None)
    return env | extra


def start_emulator(logs: Path, **env: str) -> tuple[Process, str]:
    """`config-api emulator` in its own process (as `make run` starts it): its process and URL,
    once it answers."""
    port = free_port()
    process = Process("emulator", ["emulator", "--port", str(port)], child_env(**env), logs)
    url = f"http://127.0.0.1:{port}"
    process.wait_ready(f"{url}{REQUESTS_PATH}")
    return process, url


@contextmanager
def emulator_process(**overrides: Any) -> Iterator[Stack]:
    """The emulator in its own process, seeded: an API in this process then does not share a
    GIL with moto. `overrides` are settings (`settings_for`)."""
    use_local_credentials()
    with tempfile.TemporaryDirectory(prefix="emulator-") as logs:
        process, url = start_emulator(Path(logs))
        try:
            settings = settings_for(url, **overrides)
            seed_stack(settings)
            yield Stack(url, settings)
        finally:
            process.stop()
