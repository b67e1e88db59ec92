"""HTTP side of the benchmarks: the real app under uvicorn, tokens, the chaos API, an emulator
in a process of its own, and percentiles. Stacks and tables come from _common."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from _common import Stack
from config_api.auth.tokens import issue_token
from config_api.cli.main import LOCAL_CREDENTIALS, seed_stack
from config_api.local.emulator import EFFECTS_PATH, FAULTS_PATH, REQUESTS_PATH
from config_api.observability.log import logger
from config_api.settings import Settings

SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
BASE = "/api/v2/configurations"
BODY: dict[str, Any] = {"name": "Bench", "tickers": ["AAPL", "msft"], "timeframe_days": 30}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "AWS_ENDPOINT_URL": url,
        "TABLE_NAME": "config-api-bench",
        "TICKER_BUCKET": "config-api-bench-tickers",
        "JWT_SECRET": SECRET,
    }
    values.update({k.upper(): v for k, v in overrides.items()})
    return Settings(**values)


@contextmanager
def emulator_process(**overrides: Any) -> Iterator[Stack]:
    """`config-api emulator` in its own process (as `make run` starts it), seeded: the API
    under test then does not share a GIL with moto."""
    logger.setLevel(logging.ERROR)
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    port = free_port()
    script = Path(sys.executable).with_name("config-api")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "config_api.cli.main"]
    url = f"http://127.0.0.1:{port}"
    with child_process([*command, "emulator", "--port", str(port)], f"{url}{REQUESTS_PATH}"):
        settings = bench_settings(url, **overrides)
        seed_stack(settings)
        yield Stack(url, settings)


@contextmanager
def child_process(
    command: list[str], ready_url: str, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run `command` until the block ends, once `ready_url` answers (within 60 s)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start (exit code {proc.poll()})")
            try:
                urllib.request.urlopen(ready_url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn in a thread of this process; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def new_user() -> str:
    return f"bench-{uuid.uuid4()}"


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(user, SECRET, ttl_seconds=3600)}"}


def client(url: str) -> httpx.Client:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.Client(base_url=url, timeout=30, limits=limits)


def _control(stack: Stack, path: str, body: Any) -> None:
    request = urllib.request.Request(
        f"{stack.url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def faults(stack: Stack, rules: list[dict[str, Any]]) -> None:
    """Replace the emulator's fault rules (LocalStack's chaos API); [] clears them."""
    _control(stack, FAULTS_PATH, rules)


def latency(stack: Stack, milliseconds: int) -> None:
    _control(stack, EFFECTS_PATH, {"latency": milliseconds})


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
