"""The per-user limit under a burst of concurrent creates: count-then-write versus ours.

Every user starts with one configuration, then sends CREATES concurrent creates with a limit
of LIMIT. Count-then-write (Query Select=COUNT, then an unconditional PutItem) lets requests
that arrive together all pass the check; ConfigStore.create (one TransactWriteItems with a
conditional counter) cannot. Run: `python -m bench.limit_race` (starts its own emulator).
"""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import TYPE_CHECKING

from bench._shared import print_table
from config_api.domain.errors import LimitReached
from config_api.domain.models import Configuration, TickerOut
from config_api.retry.policy import RetryPolicy
from config_api.store import ConfigStore
from config_api.store.admin.provision import create_table
from config_api.store.clients import dynamodb_client
from config_api.store.items import CONFIG_PREFIX, config_to_item, user_pk
from tests.support.stack import Stack, local_stack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

USERS = 20
CREATES = 10  # concurrent creates per user
LIMIT = 5
WORKERS = 50  # threads in flight; at least CREATES, as a user's burst waits on one barrier


def new_config() -> Configuration:
    now = datetime.now(UTC)
    return Configuration(
        config_id=str(uuid.uuid4()),
        name="Bench",
        tickers=[TickerOut(symbol="AAPL", name="Apple Inc.", exchange="NASDAQ")],
        timeframe_days=7,
        include_extended_hours=False,
        created_at=now,
        updated_at=now,
    )


def stored_count(db: DynamoDBClient, table: str, user: str) -> int:
    return db.query(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": user_pk(user)}, ":prefix": {"S": CONFIG_PREFIX}},
        Select="COUNT",
        ConsistentRead=True,
    )["Count"]


class CountThenWrite:
    """The pattern the issue replaces: check the count, then write without a condition."""

    def __init__(self, db: DynamoDBClient, table: str) -> None:
        self.db, self.table = db, table

    def create(self, user: str) -> bool:
        if stored_count(self.db, self.table, user) >= LIMIT:
            return False
        self.db.put_item(TableName=self.table, Item=config_to_item(user, new_config()))
        return True

    seed = create


class Ours:
    def __init__(self, db: DynamoDBClient, table: str) -> None:
        self.db, self.table = db, table
        self.store = ConfigStore(db, table, RetryPolicy())  # the default policy

    def create(self, user: str) -> bool:
        try:
            self.store.create(user, new_config(), LIMIT, None)
        except LimitReached:
            return False
        return True

    seed = create


class OursWithoutCounter(Ours):
    """Users whose first configuration was stored before counters existed: no counter item."""

    def seed(self, user: str) -> bool:
        self.db.put_item(TableName=self.table, Item=config_to_item(user, new_config()))
        return True


STRATEGIES: list[tuple[str, type[CountThenWrite] | type[Ours]]] = [
    ("count-then-write", CountThenWrite),
    ("ConfigStore.create", Ours),
    ("ConfigStore.create, no counter yet", OursWithoutCounter),
]


def race(stack: Stack, label: str, kind: type[CountThenWrite] | type[Ours]) -> list[object]:
    # A table per strategy: moto copies the whole table on every transaction, so a table
    # shared by all runs would make the later ones slower for a reason that is not theirs.
    db, table = dynamodb_client(stack.settings), f"bench-{kind.__name__}"
    create_table(db, table)
    strategy = kind(db, table)
    users = [f"bench-{uuid.uuid4()}" for _ in range(USERS)]
    for user in users:
        assert strategy.seed(user)
    barriers = {user: Barrier(CREATES) for user in users}

    def one(user: str) -> bool:
        barriers[user].wait()
        return strategy.create(user)

    stack.reset_requests()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        created = sum(pool.map(one, [u for u in users for _ in range(CREATES)]))
    elapsed_ms = (time.perf_counter() - started) * 1000
    requests = stack.dynamodb_requests()
    counts = [stored_count(db, table, user) for user in users]
    return [
        label,
        sum(count > LIMIT for count in counts),
        max(counts),
        f"{created}/{USERS * (LIMIT - 1)}",
        f"{requests / (USERS * CREATES):.2f}",
        f"{elapsed_ms:.0f}",
    ]


def main() -> int:
    print(
        f"{USERS} users x {CREATES} concurrent creates, limit {LIMIT}, "
        "each user starts with 1 configuration\n"
    )
    # Generous client timeouts: the naive strategy has no retry layer to absorb one, and a
    # retried create would inflate the request count of ours.
    with local_stack(aws_connect_timeout=10, aws_read_timeout=30) as stack:
        rows = [race(stack, label, kind) for label, kind in STRATEGIES]
    print_table(
        [
            "strategy",
            "users over limit",
            "worst count stored",
            "creates accepted/allowed",
            "DynamoDB requests per create",
            "race wall ms",
        ],
        rows,
    )
    ours_over = sum(int(str(row[1])) for row in rows[1:])
    if ours_over:
        print(f"\nFAIL: ConfigStore.create left {ours_over} user(s) over the limit")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
