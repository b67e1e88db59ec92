"""401s and every 400 case of the configurations API, over HTTP against the emulator."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from config_api.auth.tokens import issue_token
from tests.support.api import BASE, VALID
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user, token


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none(user: str) -> str:
    claims = {"sub": user, "exp": int(time.time()) + 600}
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}."


BAD_AUTH: dict[str, Callable[[str], dict[str, str]]] = {
    "none": lambda u: {},
    "basic": lambda u: {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "bearer-empty": lambda u: {"Authorization": "Bearer"},
    "garbage": lambda u: {"Authorization": "Bearer not.a.jwt"},
    "expired": lambda u: {"Authorization": f"Bearer {token(u, exp=int(time.time()) - 60)}"},
    "other-secret": lambda u: {
        "Authorization": f"Bearer {issue_token(u, 'some-other-secret-0123456789abcdef0123')}"
    },
    "alg-none": lambda u: {"Authorization": f"Bearer {_alg_none(u)}"},
}
ENDPOINTS = [
    ("GET", BASE),
    ("POST", BASE),
    ("GET", "{url}"),
    ("PATCH", "{url}"),
    ("DELETE", "{url}"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("case", list(BAD_AUTH))
def test_unauthenticated(api: httpx.Client, method: str, path: str, case: str) -> None:
    user = new_user()
    created = api.post(BASE, json=VALID, headers=auth(user)).json()
    url = path.format(url=f"{BASE}/{created['config_id']}")
    body = VALID if method in ("POST", "PATCH") else None
    resp = api.request(method, url, headers=BAD_AUTH[case](user), json=body)
    assert_problem(resp, 401, "unauthenticated")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing happened to the user's data.
    assert api.get(BASE, headers=auth(user)).json()["configurations"] == [created]


def with_(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


INVALID_BODIES = [
    (with_(colour="red"), ["body.colour"]),
    ({"tickers": ["AAPL"]}, ["body.name"]),
    ({"name": "Tech"}, ["body.tickers"]),
    (with_(name=""), ["body.name"]),
    (with_(name="   \t "), ["body.name"]),
    (with_(name="x" * 51), ["body.name"]),
    (with_(name="bad\x00name"), ["body.name"]),
    (with_(name="rtl\u202eoverride"), ["body.name"]),
    (with_(name=None), ["body.name"]),
    (with_(tickers=[]), ["body.tickers"]),
    (with_(tickers=["AAPL", "MSFT", "NVDA", "JPM", "KO", "PEP"]), ["body.tickers"]),
    (with_(tickers="AAPL"), ["body.tickers"]),
    (with_(tickers=[7]), ["body.tickers.0"]),
    (with_(timeframe_days=0), ["body.timeframe_days"]),
    (with_(timeframe_days=366), ["body.timeframe_days"]),
    (with_(timeframe_days="7"), ["body.timeframe_days"]),
    (with_(timeframe_days=7.5), ["body.timeframe_days"]),
    (with_(timeframe_days=True), ["body.timeframe_days"]),
    (with_(include_extended_hours="yes"), ["body.include_extended_hours"]),
    (with_(include_extended_hours=1), ["body.include_extended_hours"]),
    ([VALID], ["body"]),
    ({"name": "", "tickers": [], "x": 1}, ["body.name", "body.tickers", "body.x"]),
]


@pytest.mark.parametrize(("payload", "expected"), INVALID_BODIES)
def test_invalid_create_body(api: httpx.Client, payload: Any, expected: list[str]) -> None:
    user = new_user()
    body = assert_problem(api.post(BASE, json=payload, headers=auth(user)), 400, "invalid_input")
    assert sorted(fields(body)) == expected
    assert all(e["message"] and e["type"] for e in body["errors"])
    assert api.get(BASE, headers=auth(user)).json()["configurations"] == []


@pytest.mark.parametrize("raw", [b'{"name": ', b"{'name': 'x'}", b"", b"null", b"\xff\xfe"])
def test_malformed_json(api: httpx.Client, raw: bytes) -> None:
    headers = {**auth(new_user()), "Content-Type": "application/json"}
    body = assert_problem(api.post(BASE, content=raw, headers=headers), 400, "invalid_input")
    assert body["errors"] and all(e["field"].startswith("body") for e in body["errors"])


@pytest.mark.parametrize(
    ("tickers", "expected"),
    [
        (["AAPL", "ZZZZZ"], [("body.tickers.1", "ZZZZZ", "ticker_unknown", None)]),
        (["FB"], [("body.tickers.0", "FB", "ticker_delisted", "META")]),
        (["BRK.B", "brk-b"], [("body.tickers.1", "BRK.B", "ticker_duplicate", None)]),
        (["$$$"], [("body.tickers.0", "$$$", "ticker_malformed", None)]),
        (
            ["ZZZZZ", "AAPL", "FB", "aapl", "$$$"],
            [
                ("body.tickers.0", "ZZZZZ", "ticker_unknown", None),
                ("body.tickers.2", "FB", "ticker_delisted", "META"),
                ("body.tickers.3", "AAPL", "ticker_duplicate", None),
                ("body.tickers.4", "$$$", "ticker_malformed", None),
            ],
        ),
    ],
)
def test_invalid_tickers_are_all_named(
    api: httpx.Client, tickers: list[str], expected: list[tuple[str, str, str, str | None]]
) -> None:
    user = new_user()
    resp = api.post(BASE, json=with_(tickers=tickers), headers=auth(user))
    body = assert_problem(resp, 400, "invalid_tickers")
    got = [(e["field"], e["symbol"], e["type"], e.get("successor")) for e in body["errors"]]
    assert got == expected
    for _, symbol, _, successor in expected:
        assert symbol in body["detail"]
        if successor:
            assert successor in next(e["message"] for e in body["errors"] if e["symbol"] == symbol)
    assert api.get(BASE, headers=auth(user)).json()["configurations"] == []


INVALID_PATCHES = [
    ({}, "invalid_input", ["body"]),
    ({"colour": "red"}, "invalid_input", ["body.colour"]),
    ({"config_id": str(uuid.uuid4())}, "invalid_input", ["body.config_id"]),
    ({"name": None}, "invalid_input", ["body.name"]),
    ({"name": " "}, "invalid_input", ["body.name"]),
    ({"tickers": []}, "invalid_input", ["body.tickers"]),
    ({"timeframe_days": 366}, "invalid_input", ["body.timeframe_days"]),
    ({"include_extended_hours": "yes"}, "invalid_input", ["body.include_extended_hours"]),
    ({"tickers": ["FB", "ZZZZZ"]}, "invalid_tickers", ["body.tickers.0", "body.tickers.1"]),
]


@pytest.mark.parametrize(("payload", "code", "expected"), INVALID_PATCHES)
def test_invalid_patch(
    api: httpx.Client, payload: dict[str, Any], code: str, expected: list[str]
) -> None:
    user = new_user()
    created = api.post(BASE, json=VALID, headers=auth(user)).json()
    url = f"{BASE}/{created['config_id']}"
    body = assert_problem(api.patch(url, json=payload, headers=auth(user)), 400, code)
    assert sorted(fields(body)) == expected
    assert api.get(url, headers=auth(user)).json() == created
