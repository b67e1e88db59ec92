"""DynamoDB and S3 requests per API operation, counted at the emulator, with no faults.

Each operation is sent over HTTP to the real app under uvicorn; the emulator's request
counter (GET/DELETE /_emulator/requests) is reset before it and read after it. Target: a
steady-state create (the user's counter item exists) is one DynamoDB request.
Run: `python -m bench.round_trips` (starts its own emulator and API).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

import httpx

from bench._shared import BODY, print_table
from config_api.api.app import create_app
from tests.support.api import BASE
from tests.support.stack import Stack, auth, client, local_stack, new_user, serve

SAMPLES = 5  # users; every figure is the mean over them (it should not vary at all)
TARGET_STEADY_CREATE = 1


def measure(
    stack: Stack, send: Callable[[], httpx.Response], expect: int
) -> tuple[httpx.Response, Counter[str]]:
    """One API call and the requests per service and operation it caused."""
    stack.reset_requests()
    response = send()
    if response.status_code != expect:
        raise RuntimeError(f"expected {expect}, got {response.status_code}: {response.text}")
    counts: Counter[str] = Counter()
    for service, operations in stack.requests().items():
        for operation, n in operations.items():
            counts[f"{service}:{operation}"] += n
    return response, counts


Record = Callable[[str, Callable[[], httpx.Response], int], httpx.Response]


def run(stack: Stack, api: httpx.Client) -> dict[str, list[Counter[str]]]:
    seen: dict[str, list[Counter[str]]] = {}

    def record(label: str, send: Callable[[], httpx.Response], expect: int) -> httpx.Response:
        response, counts = measure(stack, send, expect)
        seen.setdefault(label, []).append(counts)
        return response

    for _ in range(SAMPLES):
        journey(api, record)
    return seen


def journey(api: httpx.Client, record: Record) -> None:
    """One new user through every operation."""
    headers = auth(new_user())
    first = record("create (first for a new user)", lambda: post(api, headers), 201)
    record("create (steady state)", lambda: post(api, headers), 201)
    keyed = {**headers, "Idempotency-Key": new_user()}
    record("create with Idempotency-Key (steady state)", lambda: post(api, keyed), 201)
    record("create replayed (same Idempotency-Key)", lambda: post(api, keyed), 201)
    record("list (3 configurations)", lambda: api.get(BASE, headers=headers), 200)
    location = first.headers["Location"]
    got = record("get", lambda: api.get(location, headers=headers), 200)
    change = {"name": "Renamed"}
    match = {**headers, "If-Match": got.headers["ETag"]}
    record("patch with If-Match", lambda: api.patch(location, json=change, headers=match), 200)
    record("patch", lambda: api.patch(location, json=change, headers=headers), 200)
    record("delete", lambda: api.delete(location, headers=headers), 204)
    record("get (not found)", lambda: api.get(location, headers=headers), 404)


def post(api: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return api.post(BASE, json=BODY, headers=headers)


def mean(samples: list[Counter[str]], prefix: str) -> float:
    return sum(n for s in samples for k, n in s.items() if k.startswith(prefix)) / len(samples)


def main() -> int:
    with (
        local_stack() as stack,
        serve(create_app(stack.settings), stack.settings) as url,
        client(url) as api,
    ):
        seen = run(stack, api)
    rows = []
    for label, samples in seen.items():
        operations: Counter[str] = Counter()
        for sample in samples:
            operations.update(sample)
        detail = ", ".join(
            f"{op.split(':', 1)[1]} x{n / len(samples):g}" for op, n in sorted(operations.items())
        )
        rows.append(
            [label, f"{mean(samples, 'dynamodb:'):g}", f"{mean(samples, 's3:'):g}", detail or "-"]
        )
    print(f"AWS requests per API call, mean of {SAMPLES} users, no faults\n")
    print_table(["operation", "DynamoDB", "S3", "requests"], rows)
    steady = mean(seen["create (steady state)"], "dynamodb:")
    verdict = "PASS" if steady == TARGET_STEADY_CREATE else "FAIL"
    print(
        f"\n{verdict}: steady-state create = {steady:g} DynamoDB request(s) "
        f"(target {TARGET_STEADY_CREATE})"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
