"""One API process for the benchmarks, as a Lambda container would be one: the real app under
uvicorn, configured from the environment like `config-api serve`, plus `GET /_bench/figures`:
each AWS request this process sent, with when (time.monotonic, the system-wide CLOCK_MONOTONIC
on Linux, so the bench cuts the same windows for every process) and for which API request
(its correlation id, which the bench sets: requests per operation are then counted per
operation, however long a busy machine queues them), and how often its circuits opened.

The send times come from a botocore `before-send` hook on boto3's default session, registered
before the app builds its clients: one per HTTP attempt, whatever code path made it.
`api_process()` starts one (`python -m bench._api_process PORT`) and stops it.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn

from config_api.api.app import create_app
from config_api.observability.context import correlation_id
from config_api.runtime import Runtime
from config_api.settings import Settings
from tests.support.metrics import total
from tests.support.processes import Process
from tests.support.stack import TEST_SECRET, Stack, child_env, free_port

_lock = threading.Lock()
_sends: dict[str, list[tuple[float, str | None]]] = {}


@dataclass(frozen=True)
class ApiProcess:
    policy: str
    index: int
    url: str

    def _figures(self) -> dict[str, Any]:
        figures: dict[str, Any] = httpx.get(f"{self.url}/_bench/figures", timeout=30).json()
        return figures

    def sends(self, service: str = "dynamodb") -> list[tuple[float, str | None]]:
        """(when, correlation id or None for background work) of each request sent."""
        return [(float(t), cid) for t, cid in self._figures()["sends"].get(service, [])]

    def circuit_opens(self) -> int:
        return int(self._figures()["circuit_opens"])


@contextmanager
def api_process(
    stack: Stack, policy: str, index: int, overrides: dict[str, Any]
) -> Iterator[ApiProcess]:
    settings = stack.settings
    env = child_env(
        AWS_ENDPOINT_URL=stack.url,
        TABLE_NAME=settings.table_name,
        TICKER_BUCKET=settings.ticker_bucket,
        TICKER_KEY=settings.ticker_key,
        JWT_SECRET=TEST_SECRET,
        **{name.upper(): str(value) for name, value in overrides.items()},
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench._api_process"]  # from the root, as every bench
    with tempfile.TemporaryDirectory(prefix="api-") as logs:
        process = Process(f"api-{policy}-{index}", [str(port)], env, Path(logs), command)
        try:
            process.wait_ready(f"{url}/health")
            yield ApiProcess(policy, index, url)
        finally:
            process.stop()


def _sent(event_name: str, **_: Any) -> None:
    service = event_name.split(".")[1]  # before-send.<service>.<Operation>
    with _lock:
        _sends.setdefault(service, []).append((time.monotonic(), correlation_id()))


def main() -> None:
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send", _sent)
    app = create_app(Settings())

    @app.get("/_bench/figures", include_in_schema=False)
    def figures() -> dict[str, Any]:  # sync: run in the thread pool, off the event loop
        with _lock:
            sends = {service: list(times) for service, times in _sends.items()}
        runtime: Runtime = app.state.runtime
        registry = runtime.metrics.registry
        opens = total(registry, "retry_circuit_changes_total", dependency="dynamodb", state="open")
        return {"sends": sends, "circuit_opens": opens}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error")


if __name__ == "__main__":
    main()
