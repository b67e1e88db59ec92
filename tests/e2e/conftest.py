"""The end-to-end stack: the emulator and the API, each in its own process, as the README runs
them (`config-api emulator`, `config-api serve --provision`). Tests talk to them over HTTP only.

`seeded` and `api_url` are overridden here, so the shared `chaos` and `api` fixtures of
tests/conftest.py drive these processes instead of the in-process servers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.stack import LOCAL_ENV, TEST_SECRET, free_port

START_SECONDS = 60  # importing moto and provisioning take a few seconds on a loaded machine
MAX_CONFIGURATIONS = 5
# Short, so background ticker refreshes really meet the S3 faults of the success-rate test.
TICKER_REFRESH_SECONDS = 0.05


@dataclass(frozen=True)
class E2EStack:
    emulator_url: str
    api_url: str
    api_log: Path  # the API process's output (JSON log lines)


def _command() -> list[str]:
    """The installed console script next to this interpreter, as `make run` uses it."""
    script = Path(sys.executable).with_name("config-api")
    if script.exists():
        return [str(script)]
    found = shutil.which("config-api")
    return [found] if found else [sys.executable, "-m", "config_api.cli.main"]


class Process:
    """One child process with its output in a log file, quoted when it fails to start."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [*_command(), *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, url: str) -> None:
        """Poll `url` until it answers 200; raise (never skip) if the process dies or stalls."""
        deadline = time.monotonic() + START_SECONDS
        last: object = None
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                self._fail(f"exited with code {self.popen.returncode}")
            try:
                resp = httpx.get(url, timeout=2)
                if resp.status_code == 200:
                    return
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        self._fail(f"not ready at {url} within {START_SECONDS} s (last: {last})")

    def _fail(self, why: str) -> None:
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.name} {why}; its output:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EStack]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    base = {**os.environ, **LOCAL_ENV}
    base.pop("AWS_ENDPOINT_URL", None)
    emulator_port, api_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    api_url = f"http://127.0.0.1:{api_port}"
    started: list[Process] = []
    try:
        emulator = Process(
            "emulator",
            ["emulator", "--port", str(emulator_port)],
            {**base, "CHAOS_SEED": "6"},
            logs,
        )
        started.append(emulator)
        emulator.wait_ready(f"{emulator_url}/_emulator/requests")
        api_env = {
            **base,
            "AWS_ENDPOINT_URL": emulator_url,
            "JWT_SECRET": TEST_SECRET,
            "MAX_CONFIGURATIONS": str(MAX_CONFIGURATIONS),
            "TICKER_REFRESH_SECONDS": str(TICKER_REFRESH_SECONDS),
        }
        api = Process("api", ["serve", "--port", str(api_port), "--provision"], api_env, logs)
        started.append(api)
        api.wait_ready(f"{api_url}/health")
        api.wait_ready(f"{api_url}/ready")  # DynamoDB reachable, ticker list loaded from S3
        yield E2EStack(emulator_url, api_url, api.log)
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture(scope="session")
def seeded(e2e_stack: E2EStack) -> str:
    """The emulator process, provisioned by the API process (`serve --provision`)."""
    return e2e_stack.emulator_url


@pytest.fixture(scope="session")
def api_url(e2e_stack: E2EStack) -> str:
    return e2e_stack.api_url
