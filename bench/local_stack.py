"""The local stack as a local database: list latency against table size, throughput against
clients, restart time, and what survives `kill -9`. Everything side by side in one run.

Stacks compared (each `config-api local` is the real command, run as a user runs it):
- `local`: `config-api local --data-dir` — the emulator in its own process, durable (default);
- `local --ephemeral`: the same, keeping nothing (what durability costs);
- `in-process`: the emulator in the API's process, in memory (how `local` ran before);
- `in-process, moto Query`: that, with moto's own whole-table Query (list latency only).
Run: `python -m bench.local_stack` (three to four minutes). Exits 1 if a write is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx

from bench._shared import BODY, percentile, print_table
from config_api.cli.main import LOCAL_CREDENTIALS
from config_api.local.process import READY, command
from tests.support.api import BASE
from tests.support.stack import TEST_SECRET, auth, client, free_port, new_user

SIZES = (100, 1_000, 10_000)
CLIENTS = (1, 4, 16)
WINDOW = 4.0  # seconds per throughput measurement
LIST_SAMPLES = 200
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
        moto_query = "moto" in kind
        args = [
            sys.executable,
            "-m",
            "bench.local_stack",
            "--in-process",
            str(port),
            str(emulator_port),
        ]
        args += ["--moto-query"] if moto_query else []
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
            {"PutRequest": {"Item": {"PK": {"S": f"USER#filler-{i // 5}"}, **_filler(i)}}}
            for i in range(first, min(end, first + 25))
        ]
        ddb.batch_write_item(RequestItems={TABLE: batch})


def _filler(i: int) -> dict[str, Any]:
    return {"SK": {"S": f"CONFIG#{i:08d}"}, "name": {"S": f"Filler {i}"}, "pad": {"S": "x" * 150}}


def list_latency(kind: str) -> list[tuple[float, float]]:
    """p50/p99 (ms) of GET list for a user with 5 configurations, at each table size."""
    out = []
    with stack(kind) as (api, emu, _):
        user = new_user()
        with client(api) as http:
            for _ in range(5):
                http.post(BASE, json=BODY, headers=auth(user)).raise_for_status()
            filled = 0
            for size in SIZES:
                fill(emu, filled, size)
                filled = size
                samples = []
                for _ in range(LIST_SAMPLES):
                    started = time.perf_counter()
                    http.get(BASE, headers=auth(user)).raise_for_status()
                    samples.append((time.perf_counter() - started) * 1000)
                out.append((percentile(samples, 50), percentile(samples, 99)))
    return out


def throughput(api: str, clients: int, operation: str) -> float:
    """Successful operations per second, `clients` threads each with users of its own."""
    done = [0] * clients
    window = [0.0, 0.0]  # start, stop: set when every client is ready

    def begin() -> None:
        window[0] = time.monotonic()
        window[1] = window[0] + WINDOW

    ready = threading.Barrier(clients, action=begin)

    def create(index: int, http: httpx.Client) -> None:
        ready.wait()
        while time.monotonic() < window[1]:
            headers = auth(new_user())
            for _ in range(5):  # the limit, then a fresh user
                if http.post(BASE, json=BODY, headers=headers).status_code == 201:
                    done[index] += 1

    def list_(index: int, http: httpx.Client) -> None:
        headers = auth(new_user())
        for _ in range(5):
            http.post(BASE, json=BODY, headers=headers)
        ready.wait()
        while time.monotonic() < window[1]:
            if http.get(BASE, headers=headers).status_code == 200:
                done[index] += 1

    work: Callable[[int, httpx.Client], None] = create if operation == "create" else list_

    def run(index: int) -> None:
        with client(api) as http:
            work(index, http)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - window[0])


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


def restart_times() -> list[tuple[str, float]]:
    """Seconds from starting `config-api emulator --data-dir` to serving, 10,000 items."""
    with scratch_dir() as data_dir:
        proc, url, empty = start_emulator(data_dir)
        ddb = dynamodb(url)
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("PK", "SK")],
            BillingMode="PAY_PER_REQUEST",
        )
        fill(url, 0, 9_700)
        for i in range(9_700, 10_000):  # one write each: a journal tail to replay
            ddb.put_item(TableName=TABLE, Item={"PK": {"S": f"USER#tail-{i}"}, **_filler(i)})
        proc.kill()
        proc.wait()
        tail = (data_dir / "journal.db").stat().st_size
        proc, _, after_kill = start_emulator(data_dir)
        stop_emulator(proc)
        proc, url, after_stop = start_emulator(data_dir)
        count = dynamodb(url).describe_table(TableName=TABLE)["Table"]["ItemCount"]
        stop_emulator(proc)
    if count != 10_000:
        raise RuntimeError(f"{count} items after the restarts, not 10,000")
    return [
        ("empty data directory", empty),
        (f"10,000 items, after kill -9 (journal tail {tail // 1024} KiB)", after_kill),
        ("10,000 items, after a clean stop (snapshot only)", after_stop),
    ]


def kill_nine_run(clients: int = 8, seconds: float = 3.0) -> tuple[int, int, int]:
    """Creates acknowledged before the emulator is killed (-9), and how many are found after
    a restart; also creates found that were never acknowledged (in flight at the kill)."""
    with scratch_dir() as data_dir:
        acknowledged, attempted = creates_until_killed(data_dir, clients, seconds)
        with stack("local", data_dir) as (api, _, _), client(api) as http:
            found = {
                (user, c["config_id"])
                for user in attempted
                for c in http.get(BASE, headers=auth(user)).json()["configurations"]
            }
    return len(acknowledged), len(found & set(acknowledged)), len(found - set(acknowledged))


def creates_until_killed(
    data_dir: Path, clients: int, seconds: float
) -> tuple[list[tuple[str, str]], list[str]]:
    """`clients` threads create until the emulator is killed (-9) after `seconds`: the
    (user, id) of each create acknowledged, and every user a create was tried for."""
    acknowledged: list[tuple[str, str]] = []
    attempted: list[str] = []
    lock = threading.Lock()
    with stack("local", data_dir) as (api, _, local):

        def create() -> None:
            with client(api) as http:
                while True:
                    user = new_user()
                    with lock:
                        attempted.append(user)
                    for _ in range(5):
                        try:
                            response = http.post(BASE, json=BODY, headers=auth(user))
                        except httpx.TransportError:
                            return
                        if response.status_code != 201:
                            return  # the emulator is gone: the API answers 5xx
                        with lock:
                            acknowledged.append((user, response.json()["config_id"]))

        threads = [threading.Thread(target=create) for _ in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        os.kill(emulator_child(local), signal.SIGKILL)
        for thread in threads:
            thread.join()
        local.kill()
        local.wait()
    return acknowledged, attempted


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


def main() -> int:
    kinds = ["local", "local --ephemeral", "in-process"]
    print("List latency (ms, GET /configurations, a user with 5) against table size")
    latencies = {kind: list_latency(kind) for kind in ("local", "in-process, moto Query")}
    rows = []
    for index, size in enumerate(SIZES):
        row: list[object] = [f"{size:,}"]
        for kind in latencies:
            p50, p99 = latencies[kind][index]
            row += [f"{p50:.1f}", f"{p99:.1f}"]
        rows.append(row)
    ratio = [
        f"{latencies[kind][-1][q] / latencies[kind][0][q]:.2f}x"
        for kind in latencies
        for q in (0, 1)
    ]
    rows.append(["10,000 / 100", *ratio])
    heads = [f"{kind} {q}" for kind in latencies for q in ("p50", "p99")]
    print_table(["items", *heads], rows)

    print(f"\nThroughput (operations/s, {WINDOW:.0f} s windows), each client with users of its own")
    figures: dict[str, dict[tuple[str, int], float]] = {}
    for kind in kinds:
        with stack(kind) as (api, _, _):
            figures[kind] = {
                (operation, n): throughput(api, n, operation)
                for operation in ("create", "list")
                for n in CLIENTS
            }
    print_table(
        ["stack", *(f"{op}s {n}" for op in ("create", "list") for n in CLIENTS)],
        [
            [kind, *(f"{figures[kind][(op, n)]:.1f}" for op in ("create", "list") for n in CLIENTS)]
            for kind in kinds
        ],
    )

    print("\nEmulator start (s, `config-api emulator --data-dir`, from spawn to serving)")
    print_table(["data", "seconds"], [[what, f"{s:.2f}"] for what, s in restart_times()])

    acknowledged, kept, extra = kill_nine_run()
    print("\nkill -9 of the emulator during concurrent creates (8 clients), then a restart")
    print_table(
        ["acknowledged (201)", "found after restart", "lost", "found, never acknowledged"],
        [[acknowledged, kept, acknowledged - kept, extra]],
    )
    return 0 if kept == acknowledged else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--in-process":
        in_process(int(sys.argv[2]), int(sys.argv[3]), "--moto-query" in sys.argv)
    else:
        sys.exit(main())
