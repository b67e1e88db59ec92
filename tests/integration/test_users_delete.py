"""`config-api users delete`: the record of the deletion, and every item of the user removed."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from config_api.cli.main import main
from config_api.cli.users import UserDeleter
from config_api.domain.errors import DependencyThrottled
from config_api.retry.policy import RetryPolicy
from config_api.settings import Settings
from config_api.store import clients
from config_api.store.admin.provision import create_table
from config_api.store.admin.users import BATCH, UserData
from config_api.store.clients import dynamodb_client
from config_api.store.items import DELETED_USERS_PK
from tests.support.api import BASE, VALID
from tests.support.stack import api_server, auth, client, new_user, settings_for
from tests.support.table import Table


@pytest.fixture(scope="module")
def settings(seeded: str) -> Settings:
    """A table of its own: the DELETED_USERS partition then holds only this module's users."""
    own = settings_for(seeded, table_name=f"users-delete-{uuid.uuid4().hex[:8]}")
    create_table(clients.dynamodb_client(own), own.table_name)
    return own


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(settings.aws_endpoint_url))
    monkeypatch.setenv("TABLE_NAME", settings.table_name)
    monkeypatch.setenv("DELETED_USERS_REFRESH_SECONDS", "0.05")


def deleter(
    settings: Settings, page_size: int | None = None, sleep: Callable[[float], None] = time.sleep
) -> UserDeleter:
    db = clients.dynamodb_client(settings)
    data = UserData(db, settings.table_name, RetryPolicy(), page_size=page_size)
    return UserDeleter(data, sleep=sleep)


class LeavesHalfUnprocessed:
    """A DynamoDB client that, as DynamoDB may under load, processes only the first half of
    each of its first `times` batch writes and returns the rest as UnprocessedItems."""

    def __init__(self, real: Any, table: str, times: int) -> None:
        self._real, self._table, self.left = real, table, times
        self.batches: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> Any:
        requests = RequestItems[self._table]
        self.batches.append(len(requests))
        if self.left == 0:
            return self._real.batch_write_item(RequestItems=RequestItems)
        self.left -= 1
        done, rest = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        self._real.batch_write_item(RequestItems={self._table: done})
        return {"UnprocessedItems": {self._table: rest}}


def user_items(table: Table, user: str) -> list[str]:
    return table.sort_keys(f"USER#{user}")


def deleted(table: Table) -> list[str]:
    return table.sort_keys(DELETED_USERS_PK)


def test_every_item_of_the_user_is_deleted_across_pages_and_batches(
    settings: Settings, table: Table
) -> None:
    user, bystander = new_user(), new_user()
    n = 2 * BATCH + 3  # three batches
    table.write_legacy_configs(user, n)
    table.set_counter(user, n)
    table.write_legacy_configs(bystander, 2)
    said: list[str] = []
    # Pages of 7 items: the key listing must follow LastEvaluatedKey to the end.
    deleter(settings, page_size=7).delete(user, sweep_after=0, say=said.append)
    assert user_items(table, user) == []
    assert len(user_items(table, bystander)) == 2
    assert f"USER#{user}" in deleted(table)
    assert f"USER#{bystander}" not in deleted(table)
    assert said[-1] == f"{n + 1} item(s) deleted"  # the configurations and the counter


def test_deleting_again_is_harmless_and_keeps_the_first_time(
    settings: Settings, table: Table
) -> None:
    user = new_user()
    key = {"PK": {"S": DELETED_USERS_PK}, "SK": {"S": f"USER#{user}"}}
    first = deleter(settings)
    first.delete(user, sweep_after=0, say=lambda _: None)
    when = table.db.get_item(TableName=table.name, Key=key)["Item"]["deleted_at"]["S"]
    said: list[str] = []
    first.delete(user, sweep_after=0, say=said.append)
    assert said[-1] == "0 item(s) deleted"
    first.delete(user, sweep_after=0, say=lambda _: None)
    assert table.db.get_item(TableName=table.name, Key=key)["Item"]["deleted_at"]["S"] == when
    assert deleted(table).count(f"USER#{user}") == 1


def test_the_second_sweep_removes_what_a_process_stored_before_it_refreshed(
    settings: Settings, table: Table
) -> None:
    """The gap, shown: a server that has not refreshed its set since the deletion still
    accepts the token and stores a configuration; the sweep after the wait removes it."""
    user = new_user()
    table.write_legacy_configs(user, 1)
    stale = settings.model_copy(update={"deleted_users_refresh_seconds": 3600})
    waits: list[float] = []
    with api_server(stale) as url, client(url) as http:

        def meanwhile(seconds: float) -> None:
            waits.append(seconds)
            assert user_items(table, user) == []  # the first purge is done
            assert http.post(BASE, json=VALID, headers=auth(user)).status_code == 201

        said: list[str] = []
        deleter(settings, sleep=meanwhile).delete(user, sweep_after=5, say=said.append)
    assert waits == [5]
    assert user_items(table, user) == []
    # The configuration and the counter the create initialised.
    assert said[-1] == "2 item(s) stored meanwhile deleted"


@pytest.mark.usefixtures("cli_env")
def test_command_deletes_and_sweeps_after_twice_the_refresh_interval(
    table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    user = new_user()
    table.write_legacy_configs(user, 2)
    assert main(["users", "delete", user, "--yes"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"user {user} recorded as deleted: API processes refuse their tokens",
        "2 item(s) deleted",
        "sweeping again in 0.1 s, once every API process has refreshed",
        "0 item(s) stored meanwhile deleted",
    ]
    assert user_items(table, user) == []
    assert f"USER#{user}" in deleted(table)


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("typed", ["someone-else\n", "", "\n"], ids=["wrong", "eof", "empty"])
def test_without_yes_nothing_happens_unless_the_user_id_is_typed(
    table: Table, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    user = new_user()
    table.write_legacy_configs(user, 1)
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    assert main(["users", "delete", user]) == 1
    assert "not deleted" in capsys.readouterr().err
    assert len(user_items(table, user)) == 1
    assert f"USER#{user}" not in deleted(table)

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{user}\n"))
    assert main(["users", "delete", user, "--sweep-after", "0"]) == 0
    assert user_items(table, user) == []
    assert f"USER#{user}" in deleted(table)


def half_processed(settings: Settings, table: Table, times: int) -> tuple[str, Any, UserData]:
    """A user with 8 items, and their data behind a client that leaves half of each of its
    first `times` batches unprocessed, with 3 attempts per call."""
    user = new_user()
    table.write_legacy_configs(user, 8)
    db: Any = LeavesHalfUnprocessed(dynamodb_client(settings), settings.table_name, times)
    policy = RetryPolicy(attempts=3, sleep=lambda _: None)
    return user, db, UserData(db, settings.table_name, policy)


def test_unprocessed_items_are_sent_again_through_the_retry_policy(
    settings: Settings, table: Table
) -> None:
    user, db, data = half_processed(settings, table, times=2)
    assert data.purge(user) == 8
    assert db.batches == [8, 4, 2]  # each attempt sends only what is still pending
    assert user_items(table, user) == []


def test_a_batch_still_unprocessed_after_every_attempt_is_a_throttle(
    settings: Settings, table: Table
) -> None:
    user, db, data = half_processed(settings, table, times=9)
    with pytest.raises(DependencyThrottled, match="BatchWriteItem failed: UnprocessedItems"):
        data.purge(user)
    assert db.batches == [8, 4, 2]
    assert len(user_items(table, user)) == 1  # the half of the last attempt never sent
