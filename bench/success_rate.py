"""Create success rate under DynamoDB throttling, baseline vs resilient, side by side.

One emulator process and one API server with ROLLOUT_PERCENT=50; each user is put in a
variant by the `resilient_writes` flag's own evaluation, so both variants run in the same
server, at the same time, against the same emulator. For every fault rate (a chaos rule
throttling that share of all DynamoDB calls with 400 ProvisionedThroughputExceededException):

- main: CREATES creates per variant from THREADS client threads, users rotated so the limit
  never blocks (LIMIT - 1 creates each). Each logical create is sent once (no client retry)
  with an Idempotency-Key and a unique name, so afterwards the stored items tell duplicates
  (a name stored twice), writes the client was not told about (stored, answer not 201) and
  lost ones (201, not stored).
- burst: BURST_USERS new users per variant each send BURST concurrent creates (behind one
  barrier) at limit LIMIT: a count-then-write race shows as users stored over the limit.

Run: `python -m bench.success_rate` (starts its own emulator and API). Writes
docs/success_rate.json and docs/success_rate.png.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from bench._shared import BODY, percentile, print_table
from bench._success_report import Cell, Target, machine, write_chart, write_json
from config_api.api.app import create_app
from config_api.rollout import BASELINE, RESILIENT, VARIANTS, RolloutFlag
from config_api.rollout.sources import SettingsSource
from config_api.store.admin.provision import create_table
from config_api.store.clients import dynamodb_client
from config_api.store.items import CONFIG_PREFIX, user_pk
from tests.support.api import BASE
from tests.support.stack import auth, client, emulator_process, new_user, serve

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RATES = (0.0, 0.1, 0.3, 0.5)
CREATES = 500  # main workload, per variant and fault rate
THREADS = 8
LIMIT = 5
PER_USER = LIMIT - 1  # one slot to spare: the limit never answers in the main workload
BURST_USERS = 10  # per variant and fault rate
BURST = 10  # concurrent creates per burst user, against LIMIT
PERCENT = 50  # the server's rollout percentage: half the users in each variant
THROTTLE = {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}


@dataclass(frozen=True)
class Sent:
    variant: str
    user: str
    name: str  # unique per logical create: how its stored items are recognised
    status: int
    seconds: float
    burst: bool


def users_for(flag: RolloutFlag, variant: str, count: int) -> list[str]:
    """`count` new users that the flag (as the server evaluates it) puts in `variant`."""
    out: list[str] = []
    while len(out) < count:
        user = new_user()
        if (RESILIENT if flag.enabled(user) else BASELINE) == variant:
            out.append(user)
    return out


def sender(api: httpx.Client) -> Callable[[str, str, bool], Sent]:
    headers: dict[str, dict[str, str]] = {}

    def send(variant: str, user: str, burst: bool) -> Sent:
        if user not in headers:
            headers[user] = auth(user)
        name = uuid.uuid4().hex[:20]
        request = {**headers[user], "Idempotency-Key": name}
        started = time.perf_counter()
        response = api.post(BASE, json={**BODY, "name": name}, headers=request)
        return Sent(variant, user, name, response.status_code, time.perf_counter() - started, burst)

    return send


def workload(api: httpx.Client, flag: RolloutFlag) -> list[Sent]:
    send = sender(api)
    users = {v: users_for(flag, v, CREATES // PER_USER) for v in VARIANTS}
    # Interleaved: both variants share every moment of the run (and the machine's load).
    plan = [(v, users[v][n % len(users[v])]) for n in range(CREATES) for v in VARIANTS]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        sent = list(pool.map(lambda p: send(p[0], p[1], False), plan))
    burst_users = {v: users_for(flag, v, BURST_USERS) for v in VARIANTS}
    bursts = [(v, u) for n in range(BURST_USERS) for v in VARIANTS for u in [burst_users[v][n]]]
    barriers = {user: threading.Barrier(BURST) for _, user in bursts}

    def burst_one(p: tuple[str, str]) -> Sent:
        barriers[p[1]].wait(timeout=60)
        return send(p[0], p[1], True)

    # At least BURST threads: tasks start in order, so only the newest barrier can be waiting.
    with ThreadPoolExecutor(max_workers=2 * BURST) as pool:
        sent += pool.map(burst_one, [p for p in bursts for _ in range(BURST)])
    return sent


def stored_names(db: DynamoDBClient, table: str, user: str) -> list[str]:
    """The names of the user's stored configurations, read straight from the table."""
    names: list[str] = []
    pages = db.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": user_pk(user)}, ":prefix": {"S": CONFIG_PREFIX}},
        ConsistentRead=True,
    )
    for page in pages:
        names += [item["name"]["S"] for item in page["Items"]]
    return names


def cell(rate: float, variant: str, sent: list[Sent], stored: dict[str, list[str]]) -> Cell:
    mine = [s for s in sent if s.variant == variant]
    main = [s for s in mine if not s.burst]
    ms = [s.seconds * 1000 for s in main]
    names = Counter(n for user in {s.user for s in mine} for n in stored[user])
    acked = {s.name for s in mine if s.status == 201}
    burst_counts = [len(stored[u]) for u in {s.user for s in mine if s.burst}]
    main_counts = [len(stored[u]) for u in {s.user for s in main}]
    return Cell(
        rate=rate,
        variant=variant,
        creates=len(main),
        created=sum(s.status == 201 for s in main),
        statuses=dict(Counter(str(s.status) for s in main)),
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        duplicates=sum(n - 1 for n in names.values() if n > 1),
        stored_not_acked=len(set(names) - acked),
        acked_not_stored=len(acked - set(names)),
        over_limit=sum(c > LIMIT for c in burst_counts + main_counts),
        users=len(burst_counts) + len(main_counts),
        burst_users=len(burst_counts),
        burst_created=sum(s.status == 201 for s in mine if s.burst),
        burst_worst=max(burst_counts),
    )


def rollout_counts(api: httpx.Client) -> dict[str, int]:
    data: dict[str, Any] = api.get("/ops/rollout/data", params={"window_seconds": 3600}).json()
    return {v: int(data["variants"][v]["requests"]) for v in VARIANTS}


def targets(cells: list[Cell]) -> list[Target]:
    ours = {c.rate: c for c in cells if c.variant == RESILIENT}
    out = [
        Target("success at 10% throttling", ">= 99.9%", ours[0.1].success_pct, 99.9, True),
        Target("success at 30% throttling", ">= 99%", ours[0.3].success_pct, 99.0, True),
        Target("p99 create at 10% throttling", "<= 850 ms", ours[0.1].p99_ms, 850, False),
        Target("p99 create at 30% throttling", "<= 2000 ms", ours[0.3].p99_ms, 2000, False),
    ]
    for name, attr in [("users over the limit", "over_limit"), ("duplicates", "duplicates")]:
        worst = max(getattr(c, attr) for c in ours.values())
        out.append(Target(f"{name}, any fault rate", "0", worst, 0, False))
    lost = max(c.acked_not_stored for c in ours.values())
    out.append(Target("201s not stored, any fault rate", "0", lost, 0, False))
    return out


def main() -> int:
    started = time.monotonic()
    load_before = machine()["load_average"]
    cells: list[Cell] = []
    sent_per_variant: Counter[str] = Counter()
    served: Counter[str] = Counter()
    with emulator_process(max_configurations=LIMIT, rollout_percent=PERCENT) as stack:
        flag = RolloutFlag(SettingsSource(PERCENT, writable=False))
        # The reads that check the results: thread-safe, and patient (they are not measured).
        patient = {"aws_read_timeout": 30, "aws_connect_timeout": 10}
        db = dynamodb_client(stack.settings.model_copy(update=patient))
        for rate in RATES:
            # A table (and server) per fault rate: moto's Query reads the whole table, so
            # one table for the whole run would make each fault rate slower than the last.
            table = f"{stack.settings.table_name}-{rate * 100:.0f}"
            create_table(db, table)
            settings = stack.settings.model_copy(update={"table_name": table})
            with serve(create_app(settings), settings) as url, client(url) as api:
                rules = [{"service": "dynamodb", "probability": rate, "error": THROTTLE}]
                stack.chaos.faults(rules if rate else [])
                try:
                    sent = workload(api, flag)
                finally:
                    stack.chaos.faults([])
                served.update(rollout_counts(api))
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                users = sorted({s.user for s in sent})
                names = pool.map(partial(stored_names, db, table), users)
                stored = dict(zip(users, names, strict=True))
            cells += [cell(rate, v, sent, stored) for v in VARIANTS]
            sent_per_variant.update(s.variant for s in sent)
    elapsed = time.monotonic() - started
    print_results(cells, dict(sent_per_variant), dict(served))
    checks = targets(cells)
    print("\nResilient variant against the targets:")
    for t in checks:
        print(f"  {'PASS' if t.passed else 'FAIL'}: {t.name}: {t.shown} (target {t.wanted})")
    info = machine() | {"load_average_before": load_before, "seconds": round(elapsed, 1)}
    write_json(cells, checks, info, parameters(), dict(served))
    write_chart(cells)
    print(f"\nWrote docs/success_rate.json and docs/success_rate.png ({elapsed:.0f} s)")
    return 0 if all(t.passed for t in checks) else 1


def parameters() -> dict[str, Any]:
    names = ["RATES", "CREATES", "THREADS", "LIMIT", "BURST_USERS", "BURST", "PERCENT"]
    return {name.lower(): globals()[name] for name in names}


def print_results(cells: list[Cell], sent: dict[str, int], served: dict[str, int]) -> None:
    print(
        f"{CREATES} creates per variant and fault rate ({THREADS} threads, {PER_USER} per user, "
        f"limit {LIMIT}, each sent once with an Idempotency-Key) + {BURST_USERS} users per "
        f"variant with {BURST} concurrent creates each; one server at ROLLOUT_PERCENT={PERCENT}; "
        "faults: 400 ProvisionedThroughputExceededException on every DynamoDB operation\n"
    )
    print_table(
        ["fault rate", "variant", "201 / creates", "success", "other answers", "p50 ms", "p99 ms"],
        [
            [
                *(f"{c.rate:.0%}", c.variant, f"{c.created}/{c.creates}"),
                *(f"{c.success_pct:.1f}%", c.others or "-", f"{c.p50_ms:.0f}", f"{c.p99_ms:.0f}"),
            ]
            for c in cells
        ],
    )
    print()
    print_table(
        [
            *("fault rate", "variant", "duplicates", "stored, not 201", "201, not stored"),
            *("users over limit", "burst 201s", "burst worst stored"),
        ],
        [
            [
                *(f"{c.rate:.0%}", c.variant, c.duplicates, c.stored_not_acked),
                *(c.acked_not_stored, f"{c.over_limit}/{c.users}"),
                *(f"{c.burst_created}/{c.burst_users * LIMIT}", f"{c.burst_worst} (limit {LIMIT})"),
            ]
            for c in cells
        ],
    )
    agree = "agree" if sent == served else "DISAGREE"
    print(
        f"\nRequests per variant: sent {sent}, the server's /ops/rollout/data counted {served} "
        f"({agree})"
    )


if __name__ == "__main__":
    sys.exit(main())
