"""What a replay of an Idempotency-Key compares and says: bodies are compared as the server
understands them (tickers normalised, the name trimmed), and a replay whose configuration
was deleted since says so (201 with the original body, `Configuration-Deleted: true`)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from config_api.store import items
from tests.support.api import BASE
from tests.support.stack import auth, new_user, settings_for
from tests.support.table import Table

REPLAYED, DELETED = "Idempotent-Replayed", "Configuration-Deleted"


def post(api: httpx.Client, user: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(BASE, json=body, headers=auth(user) | {"Idempotency-Key": key})


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (["aapl", "brk-b"], ["AAPL", "BRK.B"]),
        (["AAPL", "BRK.B"], [" aapl ", "brk/b"]),
    ],
)
def test_a_replay_compares_tickers_after_normalisation(
    api: httpx.Client, first: list[str], again: list[str]
) -> None:
    user, key = new_user(), f"key-{uuid.uuid4()}"
    created = post(api, user, key, {"name": "Tech", "tickers": first})
    assert created.status_code == 201, created.text
    replayed = post(api, user, key, {"name": "  Tech ", "tickers": again})
    assert replayed.status_code == 201, replayed.text
    assert replayed.headers[REPLAYED] == "true"
    assert replayed.json() == created.json()
    assert len(api.get(BASE, headers=auth(user)).json()["configurations"]) == 1


def test_a_different_request_under_the_same_key_is_still_422(api: httpx.Client) -> None:
    user, key = new_user(), f"key-{uuid.uuid4()}"
    assert post(api, user, key, {"name": "Tech", "tickers": ["aapl"]}).status_code == 201
    other = post(api, user, key, {"name": "Tech", "tickers": ["MSFT"]})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_a_replay_of_a_deleted_configuration_says_so(api: httpx.Client) -> None:
    user, key = new_user(), f"key-{uuid.uuid4()}"
    body = {"name": "Gone soon", "tickers": ["AAPL"]}
    created = post(api, user, key, body)
    assert created.status_code == 201
    assert DELETED not in created.headers
    config_id = created.json()["config_id"]
    assert api.delete(f"{BASE}/{config_id}", headers=auth(user)).status_code == 204

    replayed = post(api, user, key, body)
    assert replayed.status_code == 201  # the create did happen: its answer is replayed
    assert replayed.json() == created.json()
    assert replayed.headers[REPLAYED] == "true"
    assert replayed.headers[DELETED] == "true"
    assert api.get(f"{BASE}/{config_id}", headers=auth(user)).status_code == 404
    assert api.get(BASE, headers=auth(user)).json()["configurations"] == []  # not re-created


def test_a_replay_of_an_existing_configuration_does_not_say_deleted(api: httpx.Client) -> None:
    user, key = new_user(), f"key-{uuid.uuid4()}"
    body = {"name": "Still here", "tickers": ["AAPL"]}
    assert post(api, user, key, body).status_code == 201
    replayed = post(api, user, key, body)
    assert replayed.headers[REPLAYED] == "true"
    assert DELETED not in replayed.headers


def test_a_record_hashed_before_normalisation_still_replays(api: httpx.Client, seeded: str) -> None:
    # A retry that crosses the deploy of this change finds a record holding the hash of the
    # body as it was sent: still the same request.
    user, key = new_user(), f"key-{uuid.uuid4()}"
    body = {
        "name": "Tech",
        "tickers": ["aapl"],
        "timeframe_days": 7,
        "include_extended_hours": False,
    }
    assert post(api, user, key, body).status_code == 201
    as_sent = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    record = items.idempotency_key(user, hashlib.sha256(key.encode()).hexdigest())
    table = Table(settings_for(seeded))
    table.db.update_item(
        TableName=table.name,
        Key=record,
        UpdateExpression="SET body_hash = :old",
        ExpressionAttributeValues={":old": {"S": as_sent}},
    )
    replayed = post(api, user, key, body)
    assert replayed.status_code == 201, replayed.text
    assert replayed.headers[REPLAYED] == "true"
