"""The fixed retry policy against the adaptive one (the retry budget), side by side in one run.

fixed = RETRY_CIRCUIT_FAILURES=0: 5 attempts for every call, whatever happened before.
adaptive = the defaults: the same policy, and one attempt per call while DynamoDB has failed
15 attempts in a row (retry/budget.py).

Each policy has an emulator process of its own (so each emulator's request counter is that
policy's load) and API processes of its own (bench/_api_process.py: the real app under
uvicorn, one process per "Lambda container", each timing its own AWS requests). Both policies
run at the same moments: the chaos rules are switched on both emulators together.

1. outage: steady traffic (per process RATE creates a second by USERS users in turn, at a
   limit of 1,000 so that it never answers; sent on schedule whether or not earlier ones
   have answered, as requests reach a Lambda fleet) for BEFORE s, then every DynamoDB call
   throttled (400 ProvisionedThroughputExceededException) for OUTAGE s, then AFTER s
   healthy; with 1 process per policy (both at once), then PROCESSES per policy (one fleet
   after the other, each alone on the machine). Per process: DynamoDB requests
   per operation over the outage and after its first second, p99 answer time, the first 201
   after it ended; per policy, the emulator's own count of the DynamoDB requests it got
   during the outage.
2. random throttling at each of RATES, on every DynamoDB operation: CREATES creates per
   policy, interleaved, from THREADS threads, new users with PER_USER creates each (their
   first create is 4 DynamoDB calls), as in bench/success_rate.py.

Run: `.venv/bin/python -m bench.outage` (about 4 minutes; exits 1 when a target is missed).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from bench._api_process import ApiProcess, api_process
from bench._outage_report import Cell, Process, check, print_outage, print_random
from bench._shared import BODY, percentile
from tests.support.api import BASE
from tests.support.stack import Stack, auth, client, emulator_process, new_user

POLICIES = {"fixed": {"retry_circuit_failures": 0}, "adaptive": {}}
BEFORE, OUTAGE, AFTER = 3.0, 30.0, 3.0
PROCESSES = 3
RATE = 10.0  # creates a second per process
USERS = 10  # per process
OUTAGE_SETTINGS = {"max_configurations": 1000}
RATES = (0.1, 0.3, 0.5, 0.7)
CREATES, THREADS, PER_USER = 500, 8, 4
THROTTLE = {"statusCode": 400, "code": "ProvisionedThroughputExceededException"}


@dataclass(frozen=True)
class Op:
    cid: str  # its correlation id: the process's AWS requests name it
    started: float
    ended: float
    status: int
    retry_after: str | None


def operation(api: httpx.Client, headers: dict[str, str], out: list[Op]) -> None:
    cid = uuid.uuid4().hex
    started = time.monotonic()
    resp = api.post(BASE, json=BODY, headers={**headers, "X-Correlation-ID": cid})
    retry_after = resp.headers.get("Retry-After")
    out.append(Op(cid, started, time.monotonic(), resp.status_code, retry_after))


def steady(
    api: httpx.Client, pool: ThreadPoolExecutor, stop: threading.Event, out: list[Op]
) -> None:
    """RATE creates a second on schedule, until stopped."""
    users = [auth(new_user()) for _ in range(USERS)]
    due, sent = time.monotonic(), 0
    while not stop.is_set():
        pool.submit(operation, api, users[sent % USERS], out)
        sent += 1
        due += 1 / RATE
        stop.wait(max(0.0, due - time.monotonic()))


def switch(stacks: dict[str, Stack], rules: list[dict[str, object]]) -> dict[str, float]:
    """Set the same rules on every policy's emulator; when each took effect."""
    at: dict[str, float] = {}
    for policy, stack in stacks.items():
        stack.chaos.faults(rules)
        at[policy] = time.monotonic()
    return at


def outage(stacks: dict[str, Stack], count: int) -> tuple[list[Process], dict[str, int]]:
    """The outage with `count` API processes for each policy of `stacks`: per-process figures
    and, per policy, the DynamoDB requests its emulator got during the outage."""
    with ExitStack() as stack:
        procs = [
            stack.enter_context(api_process(stacks[p], p, n, POLICIES[p] | OUTAGE_SETTINGS))
            for p in stacks
            for n in range(count)
        ]
        ops: dict[ApiProcess, list[Op]] = {proc: [] for proc in procs}
        stop = threading.Event()
        apis = [stack.enter_context(client(proc.url)) for proc in procs]
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=24 * len(procs)))
        threads = [
            threading.Thread(target=steady, args=(api, pool, stop, ops[proc]))
            for proc, api in zip(procs, apis, strict=True)
        ]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE)
        began = switch(stacks, [{"service": "dynamodb", "error": THROTTLE}])
        for emulator in stacks.values():
            emulator.reset_requests()
        time.sleep(OUTAGE)
        load = {p: emulator.dynamodb_requests() for p, emulator in stacks.items()}
        ended = switch(stacks, [])
        time.sleep(AFTER)
        stop.set()
        for thread in threads:
            thread.join()
        pool.shutdown(wait=True)
        sends = {proc: proc.sends() for proc in procs}
    figures = [
        figures_of(proc, ops[proc], sends[proc], began[proc.policy], ended[proc.policy])
        for proc in procs
    ]
    return figures, load


def figures_of(
    proc: ApiProcess, ops: list[Op], sends: list[tuple[float, str | None]], t0: float, t1: float
) -> Process:
    made = Counter(cid for _, cid in sends)

    def per_op(start: float) -> float:
        """DynamoDB requests per create, over the creates sent from `start` to the end."""
        mine = [op for op in ops if start <= op.started < t1]
        return sum(made[op.cid] for op in mine) / max(1, len(mine))

    during = [op for op in ops if t0 <= op.started < t1]
    after = [op.ended - t1 for op in ops if op.status == 201 and op.ended >= t1]
    return Process(
        policy=proc.policy,
        index=proc.index,
        ops=len(during),
        requests=sum(t0 <= t < t1 for t, _ in sends),
        per_op=per_op(t0),
        per_op_after_1s=per_op(t0 + 1.0),
        p50_ms=percentile([(op.ended - op.started) * 1000 for op in during], 50),
        p99_ms=percentile([(op.ended - op.started) * 1000 for op in during], 99),
        statuses=dict(Counter(op.status for op in during)),
        retry_after=dict(Counter(op.retry_after or "-" for op in during)),
        recovery_s=min(after) if after else None,
    )


def random_faults(stacks: dict[str, Stack], rate: float) -> list[Cell]:
    with ExitStack() as stack:
        procs = {
            p: stack.enter_context(api_process(stacks[p], p, 0, POLICIES[p])) for p in POLICIES
        }
        apis = {p: stack.enter_context(client(proc.url)) for p, proc in procs.items()}
        users = {p: [new_user() for _ in range(CREATES // PER_USER)] for p in POLICIES}
        plan = [(p, users[p][n % len(users[p])]) for n in range(CREATES) for p in POLICIES]
        headers = {user: auth(user) for group in users.values() for user in group}

        def send(item: tuple[str, str]) -> tuple[str, int, float]:
            policy, user = item
            started = time.monotonic()
            resp = apis[policy].post(BASE, json=BODY, headers=headers[user])
            return policy, resp.status_code, time.monotonic() - started

        switch(stacks, [{"service": "dynamodb", "probability": rate, "error": THROTTLE}])
        try:
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                sent = list(pool.map(send, plan))
        finally:
            switch(stacks, [])
        opened = {p: proc.circuit_opens() for p, proc in procs.items()}
    return [
        Cell(
            rate=rate,
            policy=p,
            created=sum(s == 201 for q, s, _ in sent if q == p),
            creates=sum(q == p for q, _, _ in sent),
            p50_ms=percentile([t * 1000 for q, _, t in sent if q == p], 50),
            p99_ms=percentile([t * 1000 for q, _, t in sent if q == p], 99),
            statuses=dict(Counter(str(s) for q, s, _ in sent if q == p)),
            circuit_opens=opened[p],
        )
        for p in POLICIES
    ]


@contextmanager
def emulators() -> Iterator[dict[str, Stack]]:
    with ExitStack() as stack:
        yield {p: stack.enter_context(emulator_process()) for p in POLICIES}


def main() -> int:
    started = time.monotonic()
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    with emulators() as stacks:
        runs = [("1 each, together", *outage(stacks, 1))]
        # The fleets one after the other: on a 2-core machine, the fixed fleet's five-fold
        # load would otherwise be the adaptive fleet's latency (in AWS they share nothing).
        for policy in POLICIES:
            runs.append((f"{PROCESSES}, fleet alone", *outage({policy: stacks[policy]}, PROCESSES)))
        cells = [cell for rate in RATES for cell in random_faults(stacks, rate)]
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    print_outage(runs, OUTAGE, RATE, USERS)
    print_random(cells, CREATES, THREADS, PER_USER)
    print(f"\nload average before {' '.join(load_before)}, after {' '.join(load_after)}")
    passed = check(runs, cells)
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
