"""The end-to-end stack: the emulator and the API, each in its own process, as the README runs
them (`config-api emulator`, `config-api serve --provision`). Tests talk to them over HTTP only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import Process
from tests.support.stack import TEST_SECRET, child_env, free_port, start_emulator

MAX_CONFIGURATIONS = 5
# Short, so background ticker refreshes really meet the S3 faults of the success-rate test.
TICKER_REFRESH_SECONDS = 0.05
CHAOS_SEED = "6"


@dataclass(frozen=True)
class E2EStack:
    emulator_url: str
    api_url: str
    api_log: Path  # the API process's output (JSON log lines)


@contextmanager
def start_e2e_stack(logs: Path) -> Iterator[E2EStack]:
    """Start both processes (their output in `logs`), yield once the API is ready, stop both."""
    started: list[Process] = []
    try:
        emulator, emulator_url = start_emulator(logs, CHAOS_SEED=CHAOS_SEED)
        started.append(emulator)
        api_port = free_port()
        api_url = f"http://127.0.0.1:{api_port}"
        api_env = child_env(
            AWS_ENDPOINT_URL=emulator_url,
            JWT_SECRET=TEST_SECRET,
            MAX_CONFIGURATIONS=str(MAX_CONFIGURATIONS),
            TICKER_REFRESH_SECONDS=str(TICKER_REFRESH_SECONDS),
        )
        api = Process("api", ["serve", "--port", str(api_port), "--provision"], api_env, logs)
        started.append(api)
        api.wait_ready(f"{api_url}/health")
        api.wait_ready(f"{api_url}/ready")  # DynamoDB reachable, ticker list loaded from S3
        yield E2EStack(emulator_url, api_url, api.log)
    finally:
        for process in reversed(started):
            process.stop()
