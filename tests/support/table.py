"""Look at the table directly with boto3, independently of the store under test."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from typing import TYPE_CHECKING, TypeVar

from config_api.domain.models import Configuration, TickerOut
from config_api.settings import Settings
from config_api.store.clients import dynamodb_client
from config_api.store.items import config_to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")


class Table:
    def __init__(self, settings: Settings) -> None:
        self.db: DynamoDBClient = dynamodb_client(settings)
        self.name = settings.table_name

    def config_ids(self, user_id: str) -> list[str]:
        """The configuration items stored for the user (every page, strongly consistent)."""
        return [
            sk.removeprefix("CONFIG#")
            for sk in self.sort_keys(f"USER#{user_id}")
            if sk.startswith("CONFIG#")
        ]

    def sort_keys(self, pk: str) -> list[str]:
        """The SK of every item in partition `pk` (every page, strongly consistent). boto3's
        paginator: a test reads without the service's retry policy."""
        pages = self.db.get_paginator("query").paginate(
            TableName=self.name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )
        return [item["SK"]["S"] for page in pages for item in page["Items"]]

    def counter(self, user_id: str) -> int | None:
        item = self.db.get_item(
            TableName=self.name,
            Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "META"}},
            ConsistentRead=True,
        ).get("Item")
        return int(item["config_count"]["N"]) if item and "config_count" in item else None

    def set_counter(self, user_id: str, value: int) -> None:
        """Drift on purpose: overwrite the counter as a buggy writer would."""
        self.db.put_item(
            TableName=self.name,
            Item={
                "PK": {"S": f"USER#{user_id}"},
                "SK": {"S": "META"},
                "config_count": {"N": str(value)},
            },
        )

    def delete_counter(self, user_id: str) -> None:
        self.db.delete_item(
            TableName=self.name, Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "META"}}
        )

    def write_legacy_configs(self, user_id: str, n: int) -> list[str]:
        """Configurations stored before counters existed: the item shape, no META item."""
        ids = []
        for i in range(n):
            config = legacy_config(f"Legacy {i}")
            self.db.put_item(TableName=self.name, Item=config_to_item(user_id, config))
            ids.append(config.config_id)
        return ids


def legacy_config(name: str) -> Configuration:
    now = datetime.now(UTC)
    return Configuration(
        config_id=str(uuid.uuid4()),
        name=name,
        tickers=[TickerOut(symbol="AAPL", name="Apple Inc.", exchange="NASDAQ")],
        timeframe_days=7,
        include_extended_hours=False,
        created_at=now,
        updated_at=now,
    )


def concurrently(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, released together by a barrier; results in order."""
    barrier = Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
