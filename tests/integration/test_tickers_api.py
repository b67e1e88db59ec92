"""The ticker endpoints and the tickers of configurations, over HTTP against the emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx
import pytest

from config_api.runtime import Runtime
from config_api.tickers import load_bundled
from tests.support.problems import assert_problem
from tests.support.stack import api_server, auth, client, new_user, settings_for
from tests.support.table import Table

SEARCH, VALIDATE = "/api/v2/tickers/search", "/api/v2/tickers/validate"
CONFIGS = "/api/v2/configurations"
EXCHANGES = {"NASDAQ", "NYSE", "NYSE American", "NYSE Arca", "Cboe BZX", "IEX", "Unknown"}


def search(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    resp = api.get(SEARCH, params=params, headers=auth(new_user()))
    assert resp.status_code == 200, resp.text
    results: list[dict[str, Any]] = resp.json()["results"]
    for ticker in results:
        assert set(ticker) == {"symbol", "name", "exchange"}
        assert ticker["name"] and ticker["exchange"] in EXCHANGES
    return results


def validate(api: httpx.Client, symbol: str) -> dict[str, Any]:
    resp = api.get(VALIDATE, params={"symbol": symbol}, headers=auth(new_user()))
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) == {"symbol", "status", "name", "exchange", "successor", "message"}
    return body


def test_search_ranks_symbols_then_names(api: httpx.Client) -> None:
    assert search(api, q="apple")[0] == {
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "exchange": "NASDAQ",
    }
    assert search(api, q="spy")[0]["symbol"] == "SPY"
    assert {"BRK.A", "BRK.B"} <= {t["symbol"] for t in search(api, q="berkshire")[:3]}
    assert len(search(api, q="a")) == 10
    assert [t["symbol"] for t in search(api, q="brk", limit=2)] == ["BRK.A", "BRK.B"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": ""}, "query.q"),
        ({"q": "   "}, "query.q"),
        ({"q": "x" * 51}, "query.q"),
        ({"q": "apple", "limit": 0}, "query.limit"),
        ({"q": "apple", "limit": 21}, "query.limit"),
        ({"q": "apple", "limit": "ten"}, "query.limit"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(
    api: httpx.Client, params: dict[str, Any], field: str
) -> None:
    resp = api.get(SEARCH, params=params, headers=auth(new_user()))
    body = assert_problem(resp, 400)
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("spy", {"symbol": "SPY", "status": "valid", "exchange": "NYSE Arca", "successor": None}),
        (
            "brk-b",
            {"symbol": "BRK.B", "status": "valid", "name": "Berkshire Hathaway Inc. Class B"},
        ),
        ("FB", {"status": "delisted", "successor": "META", "name": None, "exchange": None}),
        ("ZZZZZ", {"status": "invalid", "message": "ZZZZZ is not a known US-listed symbol"}),
        ("b$d", {"symbol": "b$d", "status": "invalid", "successor": None}),
    ],
)
def test_validate(api: httpx.Client, symbol: str, expected: dict[str, Any]) -> None:
    body = validate(api, symbol)
    assert {k: body[k] for k in expected} == expected
    assert body["message"]


@pytest.mark.parametrize("params", [{}, {"symbol": ""}, {"symbol": "X" * 17}])
def test_bad_validate_parameters_are_400(api: httpx.Client, params: dict[str, str]) -> None:
    resp = api.get(VALIDATE, params=params, headers=auth(new_user()))
    assert resp.status_code == 400, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["query.symbol"]


@pytest.mark.parametrize("path", [SEARCH + "?q=apple", VALIDATE + "?symbol=AAPL"])
def test_ticker_endpoints_need_a_token(api: httpx.Client, path: str) -> None:
    assert api.get(path).status_code == 401


def test_everyday_symbols_validate_and_are_stored_with_name_and_exchange(
    api: httpx.Client,
) -> None:
    user = new_user()
    everyday = ["SPY", "QQQ", "VOO", "IWM", "brk-b", "BF.B", "RIVN", "LCID"]
    for symbol in everyday:
        assert validate(api, symbol)["status"] == "valid"
    for tickers in (everyday[:5], everyday[5:]):
        resp = api.post(CONFIGS, json={"name": "ETFs", "tickers": tickers}, headers=auth(user))
        assert resp.status_code == 201, resp.text
    stored = api.get(CONFIGS, headers=auth(user)).json()["configurations"]
    got = {t["symbol"]: t for config in stored for t in config["tickers"]}
    assert set(got) == {"SPY", "QQQ", "VOO", "IWM", "BRK.B", "BF.B", "RIVN", "LCID"}
    for symbol, ticker in got.items():
        assert ticker == load_bundled().lookup(symbol)._asdict()  # type: ignore[union-attr]
    resp = api.post(CONFIGS, json={"name": "X", "tickers": ["ZZZZZ"]}, headers=auth(user))
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_tickers"
    assert resp.json()["message"] == "Invalid ticker symbol(s): ZZZZZ"


def test_tickers_stored_without_name_or_exchange_are_completed(
    api: httpx.Client, seeded: str
) -> None:
    """Configurations saved from the earlier list (names and some exchanges null)."""
    user, config_id = new_user(), str(uuid.uuid4())
    table = Table(settings_for(seeded))
    legacy = [
        {"symbol": "RIVN", "name": None, "exchange": "NASDAQ"},
        {"symbol": "CBOE", "name": "Cboe", "exchange": None},
        {"symbol": "ZZOLD", "name": None, "exchange": None},
    ]
    table.db.put_item(
        TableName=table.name,
        Item={
            "PK": {"S": f"USER#{user}"},
            "SK": {"S": f"CONFIG#{config_id}"},
            "config_id": {"S": config_id},
            "name": {"S": "Old"},
            "tickers": {"L": [_wire(t) for t in legacy]},
            "timeframe_days": {"N": "7"},
            "include_extended_hours": {"BOOL": False},
            "created_at": {"S": "2025-01-01T00:00:00Z"},
            "updated_at": {"S": "2025-01-01T00:00:00Z"},
        },
    )
    resp = api.get(f"{CONFIGS}/{config_id}", headers=auth(user))
    assert resp.status_code == 200, resp.text
    assert resp.json()["tickers"] == [
        {"symbol": "RIVN", "name": "Rivian Automotive, Inc.", "exchange": "NASDAQ"},
        {"symbol": "CBOE", "name": "Cboe", "exchange": "Cboe BZX"},
        {"symbol": "ZZOLD", "name": "ZZOLD", "exchange": "Unknown"},
    ]


def _wire(ticker: dict[str, str | None]) -> dict[str, Any]:
    return {"M": {k: {"NULL": True} if v is None else {"S": v} for k, v in ticker.items()}}


def test_ready_shows_the_lists_source_and_date(api: httpx.Client) -> None:
    tickers = api.get("/ready").json()["tickers"]
    assert tickers == {
        "source": "s3",
        "symbols": len(load_bundled()),
        "list_source": "NASDAQ Trader symbol directory (nasdaqtraded.txt)",
        "as_of": "2024-08-01",
    }


@pytest.fixture(scope="module")
def without_list(seeded: str) -> Iterator[dict[str, httpx.Client]]:
    """Servers whose S3 list is absent: one accepting any symbol, one strict."""
    absent = f"tickers/absent-{uuid.uuid4().hex[:8]}.json"
    modes = ("allow-any", "strict")
    with (
        api_server(settings_for(seeded, ticker_key=absent, ticker_fallback=modes[0])) as any_url,
        api_server(settings_for(seeded, ticker_key=absent, ticker_fallback=modes[1])) as strict,
        client(any_url) as any_api,
        client(strict) as strict_api,
    ):
        yield {"allow-any": any_api, "strict": strict_api}


def test_allow_any_accepts_any_well_formed_symbol_and_suggests_from_the_bundled_list(
    without_list: dict[str, httpx.Client],
) -> None:
    api, user = without_list["allow-any"], new_user()
    assert search(api, q="apple")[0]["symbol"] == "AAPL"
    unknown = validate(api, "qwxyz")
    assert (unknown["status"], unknown["name"], unknown["exchange"]) == (
        "valid",
        "QWXYZ",
        "Unknown",
    )
    assert validate(api, "b$d")["status"] == "invalid"
    resp = api.post(CONFIGS, json={"name": "Any", "tickers": ["qwxyz", "aapl"]}, headers=auth(user))
    assert resp.status_code == 201, resp.text
    assert resp.json()["tickers"] == [
        {"symbol": "QWXYZ", "name": "QWXYZ", "exchange": "Unknown"},
        {"symbol": "AAPL", "name": "Apple Inc.", "exchange": "NASDAQ"},
    ]


@pytest.mark.parametrize("path", [SEARCH + "?q=apple", VALIDATE + "?symbol=AAPL"])
def test_strict_without_a_list_answers_503_like_creates(
    without_list: dict[str, httpx.Client], path: str
) -> None:
    api = without_list["strict"]
    resp = api.get(path, headers=auth(new_user()))
    assert resp.status_code == 503, resp.text
    assert int(resp.headers["Retry-After"]) >= 1
    create = api.post(CONFIGS, json={"name": "S", "tickers": ["AAPL"]}, headers=auth(new_user()))
    assert create.status_code == 503


class SentToAws:
    """Every HTTP request the clients built while counting send to AWS, counted on the client
    (botocore's `before-send`, once per attempt), whatever the endpoint. Clients copy the
    session's handlers when they are built, so a runtime built inside `counting` is watched."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def _sent(self, event_name: str, **_: Any) -> None:
        self.sent.append(event_name)

    @contextmanager
    def counting(self) -> Iterator[None]:
        events = boto3._get_default_session().events
        events.register("before-send", self._sent, unique_id="tickers-api-sent")
        try:
            yield
        finally:
            events.unregister("before-send", unique_id="tickers-api-sent")


def test_search_and_validate_are_served_from_memory(seeded: str) -> None:
    # No background refresh falls inside the test: only the requests can send anything.
    settings = settings_for(seeded, ticker_refresh_seconds=3600, deleted_users_refresh_seconds=3600)
    aws = SentToAws()
    with aws.counting():
        runtime = Runtime.from_settings(settings)
    with api_server(settings, runtime) as url, client(url) as api:
        assert aws.sent, "the cold start reads S3 and DynamoDB through the watched clients"
        aws.sent.clear()
        headers = auth(new_user())
        for q in ("apple", "spy", "berkshire", "s&p 500", "zzzzzz"):
            assert api.get(SEARCH, params={"q": q}, headers=headers).status_code == 200
        for symbol in ("AAPL", "brk-b", "FB", "ZZZZZ", "b$d"):
            resp = api.get(VALIDATE, params={"symbol": symbol}, headers=headers)
            assert resp.status_code == 200
        assert aws.sent == []
        # The counter sees the runtime's calls: a configuration request reaches DynamoDB.
        assert api.get(CONFIGS, headers=headers).status_code == 200
        assert "before-send.dynamodb.Query" in aws.sent
