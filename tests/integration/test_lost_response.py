"""A transaction applied whose response is lost (the emulator answers 500 after applying it):
the store retries it with the same ClientRequestToken, and the emulator, as DynamoDB, answers
the repeat as applied without applying it again. `/_emulator/lost-responses` is the bundled
emulator's own, so these tests run on one of their own (whatever TEST_AWS_ENDPOINT_URL says)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from config_api.local.emulator import LOST_RESPONSES_PATH
from config_api.retry.policy import RetryPolicy
from config_api.store import ConfigStore, IdempotencyClaim
from config_api.store.clients import dynamodb_client
from tests.support.stack import local_stack, new_user, settings_for
from tests.support.table import Table, legacy_config

LOSE_TRANSACTION = [
    {
        "service": "dynamodb",
        "operation": "TransactWriteItems",
        "error": {"statusCode": 500, "code": "InternalServerError"},
    }
]
CLAIM = IdempotencyClaim(key_hash="2" * 64, body_hash="3" * 64, ttl_seconds=600)


def lose_responses(endpoint: str, rules: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{endpoint}{LOST_RESPONSES_PATH}", json.dumps(rules).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


class Recorded:
    """What the emulator answered to each TransactWriteItems (HTTP status, error code)."""

    def __init__(self, client: Any) -> None:
        self.answers: list[tuple[int, str | None]] = []
        client.meta.events.register("after-call.dynamodb.TransactWriteItems", self._after)

    def _after(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.answers.append((http_response.status_code, parsed.get("Error", {}).get("Code")))


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with local_stack() as stack:
        yield stack.url


@pytest.fixture
def table(emulator: str) -> Table:
    return Table(settings_for(emulator))


@pytest.fixture
def lossy(emulator: str) -> Iterator[tuple[ConfigStore, Recorded]]:
    """A store whose next transaction's response is lost: the rule is lifted in the backoff
    before the retry, so the retry is answered."""
    settings = settings_for(emulator)
    client = dynamodb_client(settings)
    policy = RetryPolicy(sleep=lambda _: lose_responses(emulator, []))
    lose_responses(emulator, LOSE_TRANSACTION)
    try:
        yield ConfigStore(client, settings.table_name, policy), Recorded(client)
    finally:
        lose_responses(emulator, [])


@pytest.mark.parametrize("claim", [None, CLAIM], ids=["no-key", "with-key"])
def test_lost_create_is_retried_with_its_token_and_stored_once(
    lossy: tuple[ConfigStore, Recorded], table: Table, claim: IdempotencyClaim | None
) -> None:
    store, recorded = lossy
    user, config = new_user(), legacy_config("Lost create")
    store.initialise_counter(user)
    assert store.create(user, config, 1, claim) == config
    # The retry was answered as applied (token), not cancelled on its own conditions.
    assert recorded.answers == [(500, "InternalServerError"), (200, None)]
    assert table.config_ids(user) == [config.config_id]
    assert table.counter(user) == 1


def test_lost_delete_is_retried_with_its_token_and_succeeds(
    lossy: tuple[ConfigStore, Recorded], table: Table, emulator: str
) -> None:
    store, recorded = lossy
    user, config = new_user(), legacy_config("Lost delete")
    lose_responses(emulator, [])
    store.create(user, config, 5, None)
    lose_responses(emulator, LOSE_TRANSACTION)
    recorded.answers.clear()
    store.delete(user, config.config_id)  # not "not found": the repeat is answered as applied
    assert recorded.answers == [(500, "InternalServerError"), (200, None)]
    assert table.config_ids(user) == []
    assert table.counter(user) == 0
