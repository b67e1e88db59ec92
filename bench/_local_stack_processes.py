"""The processes bench/local_stack.py measures, started and stopped as a user does: each stack
(`config-api local`, durable or not, or the emulator in the API's process), the emulator on
its own (`config-api emulator --data-dir`), and the table filled with other users' items.

The in-process stack is this module run as a child: `python -m bench._local_stack_processes
PORT EMULATOR_PORT [--moto-query]`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx

from config_api.cli.main import LOCAL_CREDENTIALS
from config_api.local.process import READY, command
from tests.support.stack import TEST_SECRET, free_port

TABLE = "config-api"  # config-api local's default table


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A data directory for one measurement, removed afterwards (even if a killed emulator
    left it half-written)."""
    with tempfile.TemporaryDirectory(prefix="local-stack-", ignore_cleanup_errors=True) as path:
        yield Path(path)


@contextmanager
def stack(kind: str, data_dir: Path | None = None) -> Iterator[tuple[str, str, Any]]:
    """(API URL, emulator URL, process) of one stack, started as a user starts it; `local`
    keeps its data in `data_dir`, by default a scratch directory of its own."""
    if kind == "local" and data_dir is None:
        with scratch_dir() as scratch, stack(kind, scratch) as started:
            yield started
        return
    port, emulator_port = free_port(), free_port()
    env = {**os.environ, **LOCAL_CREDENTIALS, "JWT_SECRET": TEST_SECRET, "LOG_LEVEL": "ERROR"}
    env.pop("AWS_ENDPOINT_URL", None)
    if kind.startswith("in-process"):
        args = [sys.executable, "-m", "bench._local_stack_processes", str(port), str(emulator_port)]
        args += ["--moto-query"] if "moto" in kind else []
    else:
        args = [sys.executable, "-m", "config_api.cli", "local", "--port", str(port)]
        args += ["--emulator-port", str(emulator_port)]
        args += ["--data-dir", str(data_dir)] if data_dir else ["--ephemeral"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{kind} did not start (exit code {proc.poll()})")
            try:
                if httpx.get(f"{api}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield api, f"http://127.0.0.1:{emulator_port}", proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def dynamodb(emulator: str) -> Any:
    return boto3.client(
        "dynamodb",
        "us-east-1",
        endpoint_url=emulator,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def fill(emulator: str, start: int, end: int) -> None:
    """Other users' configurations, 5 a user, straight into the table."""
    ddb = dynamodb(emulator)
    for first in range(start, end, 25):
        batch = [
            {"PutRequest": {"Item": {"PK": {"S": f"USER#filler-{i // 5}"}, **filler_item(i)}}}
            for i in range(first, min(end, first + 25))
        ]
        ddb.batch_write_item(RequestItems={TABLE: batch})


def filler_item(i: int) -> dict[str, Any]:
    """The i-th filler configuration's attributes, its partition key aside."""
    return {"SK": {"S": f"CONFIG#{i:08d}"}, "name": {"S": f"Filler {i}"}, "pad": {"S": "x" * 150}}


def emulator_child(local: Any) -> int:
    """The pid of `config-api local`'s emulator process."""
    children = Path(f"/proc/{local.pid}/task/{local.pid}/children").read_text().split()
    return int(children[0])


def start_emulator(data_dir: Path) -> tuple[subprocess.Popen[str], str, float]:
    """`config-api emulator --data-dir`: its process, URL and seconds from spawn to serving."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command("127.0.0.1", 0, data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith(READY):
        raise RuntimeError("the emulator did not start")
    return proc, line[len(READY) :].split()[0], time.monotonic() - started


def stop_emulator(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=60)


def in_process(port: int, emulator_port: int, moto_query: bool) -> None:
    """The stack as `config-api local` ran it before: the emulator in the API's process."""
    from moto.dynamodb.models.table import Table
    from pydantic import SecretStr

    from config_api.cli.main import seed_stack, serve
    from config_api.local.emulator import Emulator, queries
    from config_api.settings import Settings

    emulator = Emulator("127.0.0.1", emulator_port)
    if moto_query:
        Table.query = queries.MOTO_QUERY  # type: ignore[method-assign]
    emulator.start()
    boto3.setup_default_session(
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    settings = Settings().model_copy(
        update={"aws_endpoint_url": emulator.url, "jwt_secret": SecretStr(TEST_SECRET)}
    )
    seed_stack(settings)
    serve(settings, "127.0.0.1", port)


if __name__ == "__main__":
    in_process(int(sys.argv[1]), int(sys.argv[2]), "--moto-query" in sys.argv)
