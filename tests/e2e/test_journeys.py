"""User journeys against the running stack (API process + emulator process), over HTTP only."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.support.api import BASE, create
from tests.support.e2e import MAX_CONFIGURATIONS
from tests.support.stack import Chaos, auth, new_user

pytestmark = pytest.mark.e2e

# The configuration the journeys save: lower-case and dashed symbols the API normalises.
WATCHLIST: dict[str, Any] = {"tickers": ["aapl", "MSFT", "brk-b"], "timeframe_days": 30}


def ids(api: httpx.Client, user: str) -> list[str]:
    listed = api.get(BASE, headers=auth(user))
    assert listed.status_code == 200, listed.text
    return [c["config_id"] for c in listed.json()["configurations"]]


def test_create_list_get_patch_delete(api: httpx.Client) -> None:
    user = new_user()
    created = create(api, user, name="Big tech", **WATCHLIST)
    assert created.status_code == 201, created.text
    config: dict[str, Any] = created.json()
    assert [t["symbol"] for t in config["tickers"]] == ["AAPL", "MSFT", "BRK.B"]
    location, etag = created.headers["Location"], created.headers["ETag"]
    assert location == f"{BASE}/{config['config_id']}"

    listed = api.get(BASE, headers=auth(user)).json()
    assert listed["configurations"] == [config]
    assert listed["max_allowed"] == MAX_CONFIGURATIONS

    fetched = api.get(location, headers=auth(user))
    assert fetched.status_code == 200
    assert fetched.json() == config
    assert fetched.headers["ETag"] == etag

    patch = {"include_extended_hours": True, "tickers": ["nvda"]}
    patched = api.patch(location, json=patch, headers={**auth(user), "If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["include_extended_hours"] is True
    assert [t["symbol"] for t in patched.json()["tickers"]] == ["NVDA"]
    assert patched.json()["name"] == config["name"]
    assert patched.headers["ETag"] != etag

    # The ETag read before the patch is stale now: the write is refused and changes nothing.
    stale = api.patch(
        location, json={"name": "Lost update"}, headers={**auth(user), "If-Match": etag}
    )
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.get(location, headers=auth(user)).json() == patched.json()

    assert api.delete(location, headers=auth(user)).status_code == 204
    assert api.get(location, headers=auth(user)).status_code == 404
    assert ids(api, user) == []
    assert api.delete(location, headers=auth(user)).status_code == 404


def test_limit_reached_then_recovers_after_a_delete(api: httpx.Client) -> None:
    user = new_user()
    made = [
        create(api, user, name=f"Watchlist {n}", **WATCHLIST) for n in range(MAX_CONFIGURATIONS)
    ]
    assert [r.status_code for r in made] == [201] * MAX_CONFIGURATIONS

    refused = create(api, user, name="One too many", **WATCHLIST)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert (problem["max_allowed"], problem["current_count"]) == (MAX_CONFIGURATIONS,) * 2
    assert len(ids(api, user)) == MAX_CONFIGURATIONS

    assert api.delete(made[0].headers["Location"], headers=auth(user)).status_code == 204
    again = create(api, user, name="Fits again", **WATCHLIST)
    assert again.status_code == 201, again.text
    assert create(api, user, name="Full again", **WATCHLIST).status_code == 409
    stored = set(ids(api, user))
    assert stored == {r.json()["config_id"] for r in [*made[1:], again]}


def test_two_users_are_isolated(api: httpx.Client) -> None:
    alice, bob = new_user(), new_user()
    mine = create(api, alice, name="Alice's", **WATCHLIST)
    assert mine.status_code == 201
    location = mine.headers["Location"]

    assert ids(api, bob) == []
    # Another user's configuration does not exist for bob: 404, never 403, and untouched.
    assert api.get(location, headers=auth(bob)).status_code == 404
    patch = {"name": "Hijacked"}
    assert api.patch(location, json=patch, headers=auth(bob)).status_code == 404
    assert api.delete(location, headers=auth(bob)).status_code == 404
    assert api.get(location, headers=auth(alice)).json() == mine.json()

    # Bob filling his quota does not count against Alice's.
    for n in range(MAX_CONFIGURATIONS):
        assert create(api, bob, name=f"Bob {n}", **WATCHLIST).status_code == 201
    assert create(api, alice, name="Alice's second", **WATCHLIST).status_code == 201
    assert len(ids(api, alice)) == 2


def wait_for_count(api: httpx.Client, user: str, count: int) -> list[str]:
    """Poll the list (bounded) until at least `count` configurations are stored."""
    deadline = time.monotonic() + 30
    found = ids(api, user)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        found = ids(api, user)
    return found


def test_idempotent_retry_after_a_client_timeout(api: httpx.Client, chaos: Chaos) -> None:
    user = new_user()
    # The counter exists: the retried create below is one request.
    assert create(api, user, name="Existing", **WATCHLIST).status_code == 201
    existing = set(ids(api, user))

    chaos.latency(1500)  # every AWS call now takes 1.5 s: longer than the client waits
    with pytest.raises(httpx.TimeoutException):
        create(api, user, key=f"retry-{user}", timeout=0.5, name="Retried", **WATCHLIST)
    chaos.clear()
    # The server carried on after the client gave up: its create lands a moment later.
    landed = set(wait_for_count(api, user, len(existing) + 1)) - existing
    assert len(landed) == 1

    retried = create(api, user, key=f"retry-{user}", name="Retried", **WATCHLIST)
    assert retried.status_code == 201, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert {retried.json()["config_id"]} == landed
    assert set(ids(api, user)) == existing | landed  # exactly one stored
