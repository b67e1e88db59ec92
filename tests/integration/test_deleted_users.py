"""The in-memory set of deleted users against DynamoDB over HTTP (the emulator).

Each test has a table of its own, so the DELETED_USERS partition holds exactly its users.
Queries are observed on the client through botocore's event hooks; faults come from the
chaos API.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from config_api.auth.deleted_users import UNLOADED_RETRY_SECONDS, DeletedUsers
from config_api.retry.policy import RetryPolicy
from config_api.store import clients
from config_api.store.admin.provision import create_table
from config_api.store.deleted_users import DeletedUserRecords
from config_api.store.items import deleted_user_key
from tests.support.stack import Chaos, new_user, settings_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

QUERY_DOWN = [
    {
        "service": "dynamodb",
        "operation": "Query",
        "error": {"statusCode": 503, "code": "ServiceUnavailable"},
    }
]
REFRESH = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Stack:
    def __init__(self, seeded: str) -> None:
        settings = settings_for(seeded, table_name=f"deleted-users-{uuid.uuid4().hex[:8]}")
        self.db: DynamoDBClient = clients.dynamodb_client(settings)
        self.table = settings.table_name
        create_table(self.db, self.table)
        self.clock = Clock()
        self.queries = 0
        self.db.meta.events.register("before-send.dynamodb.Query", self._sent)

    def _sent(self, **_: Any) -> None:  # returning None lets the request go
        self.queries += 1

    def mark(self, *users: str) -> None:
        for user in users:
            self.db.put_item(TableName=self.table, Item=deleted_user_key(user))

    def users(self, page_size: int | None = None) -> DeletedUsers:
        # One attempt: a failure is a failure, no backoff to wait through.
        records = DeletedUserRecords(
            self.db, self.table, RetryPolicy(attempts=1), page_size=page_size
        )
        return DeletedUsers(records, refresh_seconds=REFRESH, clock=self.clock)


@pytest.fixture
def stack(seeded: str, chaos: Chaos) -> Stack:
    return Stack(seeded)


def test_loads_every_page_of_the_partition(stack: Stack) -> None:
    gone = [new_user() for _ in range(5)]
    stack.mark(*gone)
    users = stack.users(page_size=2)
    assert users.load() is True
    assert stack.queries == 3  # 2 + 2 + 1
    assert len(users) == 5
    assert all(users.is_deleted(u) for u in gone)
    assert not users.is_deleted(new_user())
    assert stack.queries == 3  # answered from memory


def test_an_empty_partition_loads_as_an_empty_set(stack: Stack) -> None:
    users = stack.users()
    assert users.load() is True
    assert users.loaded and len(users) == 0


def test_a_failed_refresh_keeps_the_last_set_and_is_logged(
    stack: Stack, chaos: Chaos, caplog: pytest.LogCaptureFixture
) -> None:
    gone = new_user()
    stack.mark(gone)
    users = stack.users()
    users.load()
    chaos.faults(QUERY_DOWN)
    with caplog.at_level(logging.WARNING):
        assert users.refresh_now() is False
    assert users.is_deleted(gone)
    failed = [r for r in caplog.records if r.getMessage().startswith("deleted users refresh")]
    assert [vars(r)["deleted_users"] for r in failed] == [1]


def test_without_a_first_load_tokens_are_judged_alone_and_it_is_retried_sooner(
    stack: Stack, chaos: Chaos
) -> None:
    gone = new_user()
    stack.mark(gone)
    chaos.faults(QUERY_DOWN)
    users = stack.users()
    assert users.load() is False
    assert not users.loaded
    assert not users.is_deleted(gone)  # fail open: one failed Query must not refuse everyone
    chaos.clear()
    stack.clock.now += UNLOADED_RETRY_SECONDS  # well before REFRESH
    users.is_deleted(gone)  # starts the retry in the background
    give_up = time.monotonic() + 10  # a hang guard, not a timing assertion
    while not users.loaded and time.monotonic() < give_up:
        time.sleep(0.01)
    assert users.is_deleted(gone)


def test_a_deletion_is_picked_up_in_the_background_once_the_interval_passed(
    stack: Stack,
) -> None:
    users = stack.users()
    users.load()
    gone = new_user()
    stack.mark(gone)
    stack.clock.now += REFRESH - 1
    assert not users.is_deleted(gone)
    assert stack.queries == 1  # not due yet: no Query
    stack.clock.now += 1
    users.is_deleted(gone)  # due: answered from the current set, a refresh starts
    give_up = time.monotonic() + 10
    while not users.is_deleted(gone) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert users.is_deleted(gone)
    assert stack.queries == 2


def test_at_most_one_refresh_is_in_flight(stack: Stack, chaos: Chaos) -> None:
    users = stack.users()
    users.load()
    stack.clock.now += REFRESH  # the refresh is due
    chaos.latency(300)  # and slow, so it is still in flight while the others arrive
    start = threading.Barrier(16)
    results: list[bool] = []

    def request() -> None:
        start.wait()
        results.append(users.is_deleted("someone"))

    threads = [threading.Thread(target=request) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [False] * 16  # nobody waited for DynamoDB: the current set answered
    assert users.refresh_now() is True  # waits for the one in flight, then one of its own
    assert stack.queries == 3  # load, one background refresh, refresh_now
