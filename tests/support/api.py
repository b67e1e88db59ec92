"""Requests to the configurations API that many tests make, as a client sends them."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx

from config_api.api.app import create_app
from config_api.settings import Settings
from tests.support.stack import auth

BASE = "/api/v2/configurations"
VALID: dict[str, Any] = {"name": "Tech", "tickers": ["AAPL"]}


def raw_headers(headers: dict[str, str], name: str, value: bytes) -> dict[bytes, bytes]:
    """`headers` plus one whose value is raw bytes, not text (as a hostile client sends it)."""
    encoded = {k.encode(): v.encode() for k, v in headers.items()}
    return encoded | {name.encode(): value}


def create(
    http: httpx.Client,
    user: str,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    **body: Any,
) -> httpx.Response:
    """POST a configuration: VALID with `body`'s fields over it; `key` is an Idempotency-Key,
    `timeout` the client's own (its default otherwise)."""
    sent = auth(user) | ({"Idempotency-Key": key} if key else {}) | (headers or {})
    if timeout is None:
        return http.post(BASE, json=VALID | body, headers=sent)
    return http.post(BASE, json=VALID | body, headers=sent, timeout=timeout)


def created(http: httpx.Client, user: str, **body: Any) -> dict[str, Any]:
    """`create`, asserting the 201 and its Location; the configuration."""
    resp = create(http, user, **body)
    assert resp.status_code == 201, resp.text
    config: dict[str, Any] = resp.json()
    assert resp.headers["Location"] == f"{BASE}/{config['config_id']}"
    return config


def listed(http: httpx.Client, user: str) -> list[dict[str, Any]]:
    """The user's configurations, as GET lists them."""
    resp = http.get(BASE, headers=auth(user))
    assert resp.status_code == 200, resp.text
    configs: list[dict[str, Any]] = resp.json()["configurations"]
    return configs


@cache
def openapi() -> dict[str, Any]:
    """The app's own schema, built without a server (a test checks it is the one served)."""
    return create_app(Settings(JWT_SECRET="schema-only")).openapi()
