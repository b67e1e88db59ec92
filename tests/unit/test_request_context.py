"""Correlation ids: a client's id is echoed in headers and logs only when it is inert."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from starlette.types import Message

from config_api.api.middleware import RequestContextMiddleware
from config_api.observability.context import new_correlation_id


@pytest.mark.parametrize("supplied", ["abc", "req-1.2:3_x", "a" * 128])
def test_safe_ids_are_kept(supplied: str) -> None:
    assert new_correlation_id(supplied) == supplied


@pytest.mark.parametrize(
    "supplied",
    ["abc\n", "abc\r\n", "\nabc", "a b", "a" * 129, "", "ab\u00e9", "x\x00"],
    ids=["trailing-lf", "trailing-crlf", "leading-lf", "space", "long", "empty", "accent", "nul"],
)
def test_unsafe_ids_are_replaced(supplied: str) -> None:
    replaced = new_correlation_id(supplied)
    assert replaced != supplied
    assert len(replaced) == 36  # a fresh uuid4


def call(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """One request through the middleware as an ASGI server would make it."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/ping",
        "raw_path": b"/ping",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    asyncio.run(RequestContextMiddleware(app, deadline_seconds=5)(scope, receive, send))
    return sent


def ping_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_an_id_with_a_trailing_newline_is_not_echoed() -> None:
    # Lambda events (and lenient proxies) can carry header values an HTTP/1.1 parser refuses.
    start = call(ping_app(), [(b"x-correlation-id", b"abc\n")])[0]
    echoed = dict(start["headers"])[b"x-correlation-id"]
    assert b"\n" not in echoed
    assert echoed != b"abc\n"
