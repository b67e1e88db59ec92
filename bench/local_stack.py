"""The local stack as a local database: list latency against table size, throughput against
clients, restart time, and what survives `kill -9`. Everything side by side in one run.

Stacks compared (each `config-api local` is the real command, run as a user runs it):
- `local`: `config-api local --data-dir` — the emulator in its own process, durable (default);
- `local --ephemeral`: the same, keeping nothing (what durability costs);
- `in-process`: the emulator in the API's process, in memory (how `local` ran before);
- `in-process, moto Query`: that, with moto's own whole-table Query (list latency only).
Run: `python -m bench.local_stack` (three to four minutes; options shorten the list latency
and throughput runs, see --help). Exits 1 if a write is lost.
The stacks themselves are started and stopped by bench/_local_stack_processes.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from bench._local_stack_processes import (
    TABLE,
    dynamodb,
    emulator_child,
    fill,
    filler_item,
    scratch_dir,
    stack,
    start_emulator,
    stop_emulator,
)
from bench._shared import BODY, percentile, print_table
from tests.support.api import BASE
from tests.support.stack import auth, client, new_user

SIZES = (100, 1_000, 10_000)
CLIENTS = (1, 4, 16)
WINDOW = 4.0  # seconds per throughput measurement
LIST_SAMPLES = 200


def list_latency(kind: str, sizes: Sequence[int], samples: int) -> list[tuple[float, float]]:
    """p50/p99 (ms) of GET list for a user with 5 configurations, at each table size (in
    increasing order), from `samples` lists at each."""
    out = []
    with stack(kind) as (api, emu, _):
        user = new_user()
        with client(api) as http:
            for _ in range(5):
                http.post(BASE, json=BODY, headers=auth(user)).raise_for_status()
            filled = 0
            for size in sizes:
                fill(emu, filled, size)
                filled = size
                times = []
                for _ in range(samples):
                    started = time.perf_counter()
                    http.get(BASE, headers=auth(user)).raise_for_status()
                    times.append((time.perf_counter() - started) * 1000)
                out.append((percentile(times, 50), percentile(times, 99)))
    return out


def throughput(api: str, clients: int, operation: str, seconds: float) -> float:
    """Successful operations per second over `seconds`, `clients` threads each with users of
    its own."""
    done = [0] * clients
    window = [0.0, 0.0]  # start, stop: set when every client is ready

    def begin() -> None:
        window[0] = time.monotonic()
        window[1] = window[0] + seconds

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
            ddb.put_item(TableName=TABLE, Item={"PK": {"S": f"USER#tail-{i}"}, **filler_item(i)})
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


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The module docstring as written, and each option's default."""


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser("python -m bench.local_stack", description=__doc__)
    parser.formatter_class = _Help
    add = parser.add_argument
    add("--sizes", type=int, nargs="+", default=list(SIZES), help="table sizes for list latency")
    add("--samples", type=int, default=LIST_SAMPLES, help="lists timed at each table size")
    add("--clients", type=int, nargs="+", default=list(CLIENTS), help="clients for throughput")
    add("--window", type=float, default=WINDOW, help="seconds per throughput measurement")
    args = parser.parse_args()
    if min(*args.sizes, *args.clients, args.samples) < 1 or args.window <= 0:
        parser.error("sizes, samples, clients and the window must be positive")
    args.sizes.sort()  # each size is filled on top of the one before
    return args


def main() -> int:
    args = arguments()
    kinds = ["local", "local --ephemeral", "in-process"]
    print("List latency (ms, GET /configurations, a user with 5) against table size")
    latencies = {
        kind: list_latency(kind, args.sizes, args.samples)
        for kind in ("local", "in-process, moto Query")
    }
    rows = []
    for index, size in enumerate(args.sizes):
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
    rows.append([f"{args.sizes[-1]:,} / {args.sizes[0]:,}", *ratio])
    heads = [f"{kind} {q}" for kind in latencies for q in ("p50", "p99")]
    print_table(["items", *heads], rows)

    print(
        f"\nThroughput (operations/s, {args.window:g} s windows), each client with users of its own"
    )
    figures: dict[str, dict[tuple[str, int], float]] = {}
    for kind in kinds:
        with stack(kind) as (api, _, _):
            figures[kind] = {
                (operation, n): throughput(api, n, operation, args.window)
                for operation in ("create", "list")
                for n in args.clients
            }
    print_table(
        ["stack", *(f"{op}s {n}" for op in ("create", "list") for n in args.clients)],
        [
            [
                kind,
                *(
                    f"{figures[kind][(op, n)]:.1f}"
                    for op in ("create", "list")
                    for n in args.clients
                ),
            ]
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
    sys.exit(main())
