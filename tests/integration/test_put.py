"""PUT /api/v2/configurations/{id}: full replacement, with PATCH's ETag/If-Match/404 rules."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import BASE, created
from tests.support.stack import auth, new_user

# Every field away from its create default: what a PUT that omits them must reset.
ORIGINAL: dict[str, Any] = {
    "name": "Original",
    "tickers": ["AAPL", "MSFT"],
    "timeframe_days": 30,
    "include_extended_hours": True,
}


def put(
    api: httpx.Client, user: str, config_id: str, body: Any, if_match: str | None = None
) -> httpx.Response:
    headers = auth(user) | ({"If-Match": if_match} if if_match is not None else {})
    return api.put(f"{BASE}/{config_id}", json=body, headers=headers)


def test_put_replaces_everything_and_omitted_fields_take_create_defaults(
    api: httpx.Client,
) -> None:
    user = new_user()
    before = created(api, user, **ORIGINAL)
    resp = put(api, user, before["config_id"], {"name": " Replaced ", "tickers": ["spy"]})
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"2"'
    after = resp.json()
    assert after["name"] == "Replaced"
    assert after["tickers"] == [{"symbol": "SPY", "name": "SPDR S&P 500", "exchange": "NYSE Arca"}]
    assert (after["timeframe_days"], after["include_extended_hours"]) == (7, False)
    assert (after["config_id"], after["created_at"]) == (before["config_id"], before["created_at"])
    assert after["updated_at"] > before["updated_at"]
    fetched = api.get(f"{BASE}/{before['config_id']}", headers=auth(user))
    assert (fetched.json(), fetched.headers["ETag"]) == (after, '"2"')


def test_put_if_match_current_wins_and_stale_is_412(api: httpx.Client) -> None:
    user = new_user()
    config_id = created(api, user, **ORIGINAL)["config_id"]
    body = {"name": "One", "tickers": ["AAPL"]}
    assert put(api, user, config_id, body, '"1"').status_code == 200
    stale = put(api, user, config_id, {**body, "name": "Two"}, '"1"')
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"
    assert stale.json()["message"] == stale.json()["detail"]
    assert put(api, user, config_id, {**body, "name": "Three"}, "*").headers["ETag"] == '"3"'
    assert api.get(f"{BASE}/{config_id}", headers=auth(user)).json()["name"] == "Three"


def test_put_on_another_users_or_an_unknown_configuration_is_404(api: httpx.Client) -> None:
    owner, other = new_user(), new_user()
    config_id = created(api, owner, **ORIGINAL)["config_id"]
    body = {"name": "Stolen", "tickers": ["AAPL"]}
    for user, target in ((other, config_id), (owner, str(uuid.uuid4())), (owner, "not-an-id")):
        resp = put(api, user, target, body)
        assert resp.status_code == 404, resp.text
        assert resp.json()["code"] == "configuration_not_found"
    assert put(api, other, config_id, body, '"1"').status_code == 404  # 404 before 412
    assert api.get(f"{BASE}/{config_id}", headers=auth(owner)).json()["name"] == "Original"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"tickers": ["AAPL"]}, ["body.name"]),
        ({"name": "No tickers"}, ["body.tickers"]),
        ({"name": "x", "tickers": ["AAPL"], "timeframe_days": 0}, ["body.timeframe_days"]),
        ({"name": "x", "tickers": ["AAPL"], "extra": 1}, ["body.extra"]),
        ({"name": "x", "tickers": ["ZZZZZ"]}, ["body.tickers.0"]),
    ],
)
def test_an_invalid_replacement_is_400_and_changes_nothing(
    api: httpx.Client, body: dict[str, Any], fields: list[str]
) -> None:
    user = new_user()
    before = created(api, user, **ORIGINAL)
    resp = put(api, user, before["config_id"], body)
    assert resp.status_code == 400, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == fields
    assert api.get(f"{BASE}/{before['config_id']}", headers=auth(user)).json() == before
