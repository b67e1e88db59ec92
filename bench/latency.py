"""Latency (p50/p99) and throughput of each endpoint under concurrency, against a floor.

The floor is a bare FastAPI route added to the very app object this script builds (so it runs
in the same server, behind the same middleware, on the same threadpool as the real routes)
that does no auth and no AWS call: each endpoint's ratio to it is what the endpoint itself
costs. The emulator runs in a process of its own; the API runs in this process under uvicorn.
Run: `python -m bench.latency`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from bench._shared import BODY, percentile, print_table
from config_api.api.app import create_app
from config_api.settings import Settings
from config_api.store.clients import dynamodb_client
from config_api.store.items import CONFIG_PREFIX, config_key, user_pk
from tests.support.api import BASE
from tests.support.stack import auth, client, emulator_process, new_user, serve

CONCURRENCY = 8  # client threads, each with a user of its own
ROUNDS = 3  # every endpoint once per round
REQUESTS = 25  # per thread, endpoint and round, after WARMUP
WARMUP = 3
PRESET = 5  # configurations each user holds before the run (what list returns)
FLOOR = "/_bench/floor"


@dataclass
class Worker:
    headers: dict[str, str]
    config: str  # a configuration of this worker's user (get, patch)
    created: list[str]  # locations created in the create phase (deleted in the delete phase)
    # The AWS call behind GET one / GET list, straight to the emulator with no API between.
    get_item: Callable[[], object]
    query: Callable[[], object]


Send = Callable[[httpx.Client, Worker], int]  # one request; its HTTP status


def add_floor(app: FastAPI) -> None:
    @app.get(FLOOR, include_in_schema=False)
    def floor() -> dict[str, str]:  # sync, like the real routes: same threadpool hop
        return {"status": "ok"}


def create(api: httpx.Client, w: Worker) -> int:
    response = api.post(BASE, json=BODY, headers=w.headers)
    if response.status_code == 201:
        w.created.append(response.headers["Location"])
    return response.status_code


def direct_get(api: httpx.Client, w: Worker) -> int:
    w.get_item()
    return 200


def direct_query(api: httpx.Client, w: Worker) -> int:
    w.query()
    return 200


ENDPOINTS: list[tuple[str, Send, int]] = [
    ("floor: bare FastAPI route", lambda api, w: api.get(FLOOR).status_code, 200),
    ("GET /health", lambda api, w: api.get("/health").status_code, 200),
    ("GET configuration", lambda api, w: api.get(w.config, headers=w.headers).status_code, 200),
    (
        f"GET list ({PRESET} configurations)",
        lambda api, w: api.get(BASE, headers=w.headers).status_code,
        200,
    ),
    (
        "PATCH configuration",
        lambda api, w: api.patch(w.config, json={"name": "x"}, headers=w.headers).status_code,
        200,
    ),
    ("POST create (steady state)", create, 201),
    (
        "DELETE configuration",
        lambda api, w: api.delete(w.created.pop(), headers=w.headers).status_code,
        204,
    ),
    ("(reference) GetItem, boto3 to the emulator", direct_get, 200),
    ("(reference) Query, boto3 to the emulator", direct_query, 200),
]


def phase(
    api: httpx.Client, workers: list[Worker], send: Send, expect: int
) -> tuple[list[float], float]:
    """Every worker sends WARMUP requests, then (all together) REQUESTS back to back.
    Returns the latencies (ms) of the latter and the seconds they took."""
    marks: list[float] = []
    together = threading.Barrier(len(workers), action=lambda: marks.append(time.perf_counter()))

    def work(w: Worker) -> list[float]:
        for _ in range(WARMUP):
            check(send(api, w), expect)
        together.wait()
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            status = send(api, w)
            samples.append((time.perf_counter() - started) * 1000)
            check(status, expect)
        return samples

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        results = list(pool.map(work, workers))
    return [s for r in results for s in r], time.perf_counter() - marks[0]


def check(status: int, expect: int) -> None:
    if status != expect:
        raise RuntimeError(f"expected HTTP {expect}, got {status}")


def preset(api: httpx.Client, settings: Settings) -> Worker:
    user = new_user()
    headers = auth(user)
    made = [api.post(BASE, json=BODY, headers=headers) for _ in range(PRESET)]
    for response in made:
        check(response.status_code, 201)
    location = made[0].headers["Location"]
    db, table = dynamodb_client(settings), settings.table_name
    key = config_key(user, location.rsplit("/", 1)[1])
    query = {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": user_pk(user)}, ":prefix": {"S": CONFIG_PREFIX}},
        "ConsistentRead": True,
    }
    return Worker(
        headers,
        location,
        [],
        lambda: db.get_item(TableName=table, Key=key, ConsistentRead=True),
        lambda: db.query(TableName=table, **query),  # type: ignore[arg-type]
    )


def main() -> int:
    # A limit high enough for the create phase; the counter is initialised by the presets.
    with emulator_process(max_configurations=1000) as stack:
        app = create_app(stack.settings)
        add_floor(app)
        with serve(app) as url, client(url) as api:
            workers = [preset(api, stack.settings) for _ in range(CONCURRENCY)]
            _, floor_send, _ = ENDPOINTS[0]
            phase(api, workers, floor_send, 200)  # discarded: the first phase warms up the server
            # Rounds: a load spike on the machine then hits every endpoint, not just one.
            samples: dict[str, list[float]] = {label: [] for label, _, _ in ENDPOINTS}
            walls: dict[str, float] = dict.fromkeys(samples, 0.0)
            for _ in range(ROUNDS):
                for label, send, expect in ENDPOINTS:
                    latencies, wall = phase(api, workers, send, expect)
                    samples[label] += latencies
                    walls[label] += wall
            rows = [(k, samples[k], len(samples[k]) / walls[k]) for k in samples]
    floor_p50, floor_p99 = percentile(rows[0][1], 50), percentile(rows[0][1], 99)
    floor_rate = rows[0][2]
    table = [
        [
            label,
            f"{percentile(samples, 50):.1f}",
            f"{percentile(samples, 99):.1f}",
            f"{rate:.0f}",
            f"{percentile(samples, 50) / floor_p50:.1f}x",
            f"{percentile(samples, 99) / floor_p99:.1f}x",
            f"{floor_rate / rate:.1f}x",
        ]
        for label, samples, rate in rows
    ]
    print(
        f"{CONCURRENCY} concurrent clients x {ROUNDS} rounds x {REQUESTS} requests per endpoint "
        f"(after {WARMUP} warm-up each round); API in-process under uvicorn, emulator in its "
        "own process, no faults\n"
    )
    print_table(
        ["endpoint", "p50 ms", "p99 ms", "req/s", "p50/floor", "p99/floor", "floor req/s / req/s"],
        table,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
