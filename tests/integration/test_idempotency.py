"""Idempotent create: the Idempotency-Key record and the ClientRequestToken of the transaction."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from config_api.domain.errors import IdempotencyInProgress
from config_api.retry.policy import RetryPolicy
from config_api.store import ConfigStore, IdempotencyClaim
from config_api.store.clients import dynamodb_client
from tests.support.api import BASE
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user, settings_for
from tests.support.table import Table, concurrently, legacy_config

BODY = {"name": "Retry me", "tickers": ["AAPL"]}
REPLAYED = "Idempotent-Replayed"


def post(
    api: httpx.Client, user: str, key: str | bytes | None, body: dict[str, Any] = BODY
) -> httpx.Response:
    headers: dict[str, Any] = auth(user)
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.post(BASE, json=body, headers=headers)


def test_same_key_same_body_replays_the_original_201(api: httpx.Client, table: Table) -> None:
    user = new_user()
    first = post(api, user, "order-1")
    second = post(api, user, "order-1")
    assert first.status_code == second.status_code == 201, second.text
    assert REPLAYED not in first.headers
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["ETag"] == first.headers["ETag"]
    assert table.config_ids(user) == [first.json()["config_id"]]
    assert table.counter(user) == 1


def test_same_key_different_body_is_422(api: httpx.Client, table: Table) -> None:
    user = new_user()
    assert post(api, user, "order-1").status_code == 201
    other = post(api, user, "order-1", {**BODY, "name": "Something else"})
    assert_problem(other, 422, "idempotency_key_reused")
    assert len(table.config_ids(user)) == 1
    assert table.counter(user) == 1


def test_keys_are_per_user(api: httpx.Client, table: Table) -> None:
    alice, bob = new_user(), new_user()
    a, b = post(api, alice, "shared-key"), post(api, bob, "shared-key")
    assert a.status_code == b.status_code == 201
    assert REPLAYED not in b.headers
    assert a.json()["config_id"] != b.json()["config_id"]
    assert table.config_ids(alice) == [a.json()["config_id"]]
    assert table.config_ids(bob) == [b.json()["config_id"]]


def test_without_a_key_every_post_creates(api: httpx.Client, table: Table) -> None:
    user = new_user()
    assert [post(api, user, None).status_code for _ in range(2)] == [201, 201]
    assert len(table.config_ids(user)) == table.counter(user) == 2


def test_concurrent_twins_store_exactly_one(api: httpx.Client, table: Table) -> None:
    user = new_user()
    responses = concurrently([lambda: post(api, user, "twin") for _ in range(10)])
    created = [r for r in responses if r.status_code == 201]
    for resp in responses:
        if resp.status_code != 201:  # a twin still in flight (only on a real conflict)
            assert resp.status_code == 409, resp.text
            assert resp.json()["code"] == "idempotency_in_progress"
    assert created
    assert len({r.json()["config_id"] for r in created}) == 1
    assert sum(REPLAYED not in r.headers for r in created) == 1
    assert table.config_ids(user) == [created[0].json()["config_id"]]
    assert table.counter(user) == 1


def test_replay_still_201_when_user_is_now_at_the_limit(api: httpx.Client, table: Table) -> None:
    user = new_user()
    first = post(api, user, "early")
    for _ in range(4):
        assert post(api, user, None).status_code == 201
    replay = post(api, user, "early")
    assert replay.status_code == 201, replay.text
    assert replay.headers[REPLAYED] == "true"
    assert replay.json()["config_id"] == first.json()["config_id"]
    fresh = post(api, user, "late")
    assert fresh.status_code == 409
    assert fresh.json()["code"] == "configuration_limit_reached"
    assert len(table.config_ids(user)) == table.counter(user) == 5


@pytest.mark.parametrize(
    "key",
    ["k" * 256, "ключ".encode(), b"caf\xe9", ""],
    ids=["too-long", "utf8", "latin1", "empty"],
)
def test_invalid_key_is_400(api: httpx.Client, table: Table, key: str | bytes) -> None:
    user = new_user()
    resp = post(api, user, key)
    assert assert_problem(resp, 400)["errors"][0]["field"] == "header.Idempotency-Key"
    assert table.config_ids(user) == []


def test_longest_key_is_accepted(api: httpx.Client) -> None:
    user = new_user()
    assert [post(api, user, "k" * 255).status_code for _ in range(2)] == [201, 201]


# -- the transaction itself: a repeated TransactWriteItems cannot store a second item ---------


def store_for(seeded: str, client: Any = None) -> ConfigStore:
    settings = settings_for(seeded)
    return ConfigStore(
        client or dynamodb_client(settings), settings.table_name, RetryPolicy(sleep=lambda _: None)
    )


CLAIM = IdempotencyClaim(key_hash="0" * 64, body_hash="1" * 64, ttl_seconds=600)


@pytest.mark.parametrize("claim", [None, CLAIM], ids=["no-key", "with-key"])
def test_repeated_create_of_the_same_config_is_applied_once(
    seeded: str, table: Table, claim: IdempotencyClaim | None
) -> None:
    store, user, config = store_for(seeded), new_user(), legacy_config("Once")
    assert store.create(user, config, 5, claim) == config
    # The same transaction and token: answered as applied (ClientRequestToken), not again.
    assert store.create(user, config, 5, claim) == config
    assert table.config_ids(user) == [config.config_id]
    assert table.counter(user) == 1


def test_repeated_create_that_reached_the_limit_is_not_a_409(seeded: str, table: Table) -> None:
    store, user, config = store_for(seeded), new_user(), legacy_config("Last slot")
    assert store.create(user, config, 1, None) == config
    assert store.create(user, config, 1, None) == config  # counter at max, but it is ours
    assert table.counter(user) == 1


class LosesFirstTransactResponse:
    """A DynamoDB client whose first TransactWriteItems is applied, then its response lost."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        result = self._real.transact_write_items(**kwargs)
        if len(self.calls) == 1:
            raise ReadTimeoutError(endpoint_url="http://emulator")
        return result


@pytest.mark.parametrize("claim", [None, CLAIM], ids=["no-key", "with-key"])
def test_lost_response_retry_stores_one_item(
    seeded: str, table: Table, claim: IdempotencyClaim | None
) -> None:
    user, config = new_user(), legacy_config("Lost response")
    store_for(seeded).initialise_counter(user)  # so the first attempt is the applied one
    client = LosesFirstTransactResponse(dynamodb_client(settings_for(seeded)))
    assert store_for(seeded, client).create(user, config, 5, claim) == config
    assert len(client.calls) == 2
    # The retry is the same transaction: same token, same parameters (else DynamoDB would
    # answer IdempotentParameterMismatch instead of treating it as a repeat).
    assert client.calls[0] == client.calls[1]
    assert client.calls[0]["ClientRequestToken"] == config.config_id
    assert table.config_ids(user) == [config.config_id]
    assert table.counter(user) == 1


def test_delete_transaction_carries_a_token(seeded: str, table: Table) -> None:
    user, config = new_user(), legacy_config("Delete me")
    store_for(seeded).create(user, config, 5, None)
    client = LosesFirstTransactResponse(dynamodb_client(settings_for(seeded)))
    # The retry repeats the token, so it is answered as applied: not "nothing left to delete".
    store_for(seeded, client).delete(user, config.config_id)
    assert client.calls[0] == client.calls[1]
    assert len(client.calls[0]["ClientRequestToken"]) == 36
    assert table.config_ids(user) == []
    assert table.counter(user) == 0


class FailsTransactFirst:
    """A DynamoDB client whose first `times` TransactWriteItems fail with `error`, unapplied."""

    def __init__(self, real: Any, times: int, error: dict[str, Any]) -> None:
        self._real, self._remaining, self._error = real, times, error
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self._remaining:
            self._remaining -= 1
            raise ClientError(dict(self._error), "TransactWriteItems")  # type: ignore[arg-type]
        return self._real.transact_write_items(**kwargs)


# What DynamoDB answers while a twin transaction holds the idempotency record (item 2).
CLAIM_CONFLICT = {
    "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
    "CancellationReasons": [{"Code": "None"}, {"Code": "None"}, {"Code": "TransactionConflict"}],
}
# What DynamoDB answers when a retry arrives while the attempt with the same token still runs.
IN_PROGRESS = {"Error": {"Code": "TransactionInProgressException", "Message": "In progress"}}


def test_twin_still_in_flight_is_409_after_retries(seeded: str, table: Table) -> None:
    user, config = new_user(), legacy_config("Twin")
    store_for(seeded).initialise_counter(user)
    client = FailsTransactFirst(dynamodb_client(settings_for(seeded)), 99, CLAIM_CONFLICT)
    with pytest.raises(IdempotencyInProgress):
        store_for(seeded, client).create(user, config, 5, CLAIM)
    assert client.calls == RetryPolicy().attempts
    assert table.config_ids(user) == []


@pytest.mark.parametrize("error", [CLAIM_CONFLICT, IN_PROGRESS], ids=["conflict", "in-progress"])
def test_transient_transaction_errors_are_retried(
    seeded: str, table: Table, error: dict[str, Any]
) -> None:
    user, config = new_user(), legacy_config("Retried")
    store_for(seeded).initialise_counter(user)
    client = FailsTransactFirst(dynamodb_client(settings_for(seeded)), 1, error)
    assert store_for(seeded, client).create(user, config, 5, CLAIM) == config
    assert client.calls == 2
    assert table.config_ids(user) == [config.config_id]
    assert table.counter(user) == 1


def test_expired_key_counts_as_absent(seeded: str, table: Table) -> None:
    """DynamoDB deletes expired items lazily (up to days later): the condition must not wait."""
    store, user = store_for(seeded), new_user()
    expired = IdempotencyClaim(key_hash="2" * 64, body_hash="3" * 64, ttl_seconds=-5)
    first, second = legacy_config("Before expiry"), legacy_config("After expiry")
    assert store.create(user, first, 5, expired) == first
    assert store.create(user, second, 5, CLAIM) == second  # another key: unaffected
    third = legacy_config("Same key again")
    assert store.create(user, third, 5, expired) == third  # not a Replay of `first`
    assert sorted(table.config_ids(user)) == sorted(c.config_id for c in (first, second, third))
    assert table.counter(user) == 3
