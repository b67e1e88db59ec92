"""Config-creation success rate while 10% of DynamoDB and 10% of S3 calls fail transiently.

500 valid creates from 8 client threads, users rotated so the limit never blocks. At least
99% must answer 201, and every 201 must be stored exactly once: no duplicates, and nothing
stored that the client was not (finally, after resending with its Idempotency-Key) given.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import BASE, create
from tests.support.e2e import MAX_CONFIGURATIONS, E2EStack
from tests.support.stack import Chaos, auth, new_user

pytestmark = pytest.mark.e2e

CREATES = 500
PER_USER = MAX_CONFIGURATIONS - 1  # one slot to spare: the limit never answers instead
THREADS = 8
FAULT_RATE = 0.1


def rules(service: str, errors: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Rules that together fail FAULT_RATE of `service`'s calls, split evenly across `errors`.

    The emulator applies the first rule whose roll fires, so each later rule's probability is
    conditional on the earlier ones not firing.
    """
    out, left = [], FAULT_RATE
    for n, (status, code) in enumerate(errors):
        share = left / (len(errors) - n)  # of all calls
        done = FAULT_RATE - left
        out.append(
            {
                "service": service,
                "probability": share / (1 - done),
                "error": {"statusCode": status, "code": code},
            }
        )
        left -= share
    return out


FAULTS = [
    *rules(
        "dynamodb",
        [(400, "ProvisionedThroughputExceededException"), (500, "InternalServerError")],
    ),
    *rules("s3", [(503, "SlowDown")]),
]


def retries_logged(log: Path) -> Counter[str]:
    """AWS retries per dependency, from the API process's JSON log: proof the faults fired."""
    seen: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("message") == "aws call retried":
            seen[str(record.get("dependency"))] += 1
    return seen


def describe(resp: httpx.Response) -> str:
    """One answer, for a failure message: status, id or code, and the id to grep the log for."""
    body = resp.json()
    what = body.get("config_id") or body.get("code")
    return f"{resp.status_code} {what} (correlation {resp.headers.get('X-Correlation-ID')})"


@dataclass(frozen=True)
class Attempt:
    user: str
    key: str
    first: httpx.Response


BODY: dict[str, Any] = {"name": "Under fire", "tickers": ["AAPL", "msft"], "timeframe_days": 14}


def test_creates_succeed_and_are_stored_once_under_transient_faults(
    api: httpx.Client, chaos: Chaos, e2e_stack: E2EStack
) -> None:
    users = [new_user() for _ in range(CREATES // PER_USER)]
    plan = [users[n % len(users)] for n in range(CREATES)]  # rotated: a user's creates spread
    retries_before = retries_logged(e2e_stack.api_log)

    def attempt(user: str) -> Attempt:
        key = str(uuid.uuid4())
        return Attempt(user, key, create(api, user, key=key, **BODY))

    chaos.faults(FAULTS)
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            attempts = list(pool.map(attempt, plan))
    finally:
        chaos.clear()

    statuses = Counter(a.first.status_code for a in attempts)
    failed = [a for a in attempts if a.first.status_code != 201]
    shown = [describe(a.first) for a in failed[:5]]
    assert statuses[201] >= 0.99 * CREATES, f"{statuses}; first failures: {shown}"
    assert set(statuses) <= {201, 429, 503, 504}, f"{statuses}; first failures: {shown}"

    # A failed create may have been stored anyway (e.g. a 504: the write landed, the answer
    # was lost), so the client resends it with the same key, as a real client would: the
    # key must resolve it to exactly one stored configuration.
    answered: dict[str, list[str]] = {user: [] for user in users}
    for a in attempts:
        final = a.first if a.first.status_code == 201 else create(api, a.user, key=a.key, **BODY)
        assert final.status_code == 201, describe(final)
        answered[a.user].append(final.json()["config_id"])
    for user in users:
        listed = api.get(BASE, headers=auth(user))
        assert listed.status_code == 200, listed.text
        stored = [c["config_id"] for c in listed.json()["configurations"]]
        seen = [describe(a.first) for a in attempts if a.user == user]
        assert len(stored) == len(set(stored)), f"{user}: duplicates in {stored}, saw {seen}"
        assert sorted(stored) == sorted(answered[user]), f"{user}: stored {stored}, saw {seen}"

    # The faults really fired, in both services: the API had to retry.
    retries = retries_logged(e2e_stack.api_log) - retries_before
    assert retries["dynamodb"] > 0, retries
    assert retries["s3"] > 0, retries
