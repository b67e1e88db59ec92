"""Start the pieces the tests talk to over HTTP: the AWS emulator and API servers.

By default the bundled emulator runs in this process on a free port. Set
`TEST_AWS_ENDPOINT_URL` to run the same tests against another endpoint, e.g. LocalStack.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from config_api.api.app import create_app
from config_api.auth.tokens import issue_token
from config_api.cli.server import listeners, server_config
from config_api.runtime import Runtime
from config_api.settings import Settings

TEST_SECRET = "integration-test-secret-with-enough-entropy-0123456789"
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@contextmanager
def api_server(
    settings: Settings,
    runtime: Runtime | None = None,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
) -> Iterator[str]:
    """Serve the real app with uvicorn in a thread; yields its base URL. With `runtime`, the
    app serves that one (started here), so a test can watch its AWS clients; with `wrap`,
    inside that (a test's middleware)."""
    port = free_port()
    if runtime is not None:
        runtime.start()
    app: ASGIApp = create_app(settings, runtime)
    # The server configuration `config-api serve` runs.
    config = server_config(wrap(app) if wrap else app, settings, "127.0.0.1", port)
    server = uvicorn.Server(config)
    sockets = listeners(config, settings)  # with OPS_PORT, the operator port's too
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": sockets}, name=f"api-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
        self._send("POST", "/_localstack/chaos/faults", rules)

    def latency(self, milliseconds: int) -> None:
        self._send("POST", "/_localstack/chaos/effects", {"latency": milliseconds})

    def clear(self) -> None:
        self.faults([])
        self.latency(0)


def client(base_url: str, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, **kwargs)
