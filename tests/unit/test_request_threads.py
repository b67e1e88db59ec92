"""Where a request's blocking work runs: in server mode off the event loop (the thread pool),
in Lambda inline, with no thread started per invocation (api/deps.py: Blocking)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from config_api.api.deps import Blocking
from tests.support.api import BASE
from tests.support.lambda_app import cold_start, function_env, http_event
from tests.support.stack import new_user, token


def test_blocking_calls_leave_the_event_loop_in_server_mode_only() -> None:
    async def where(run: Blocking) -> tuple[int, int]:
        return threading.get_ident(), await run(threading.get_ident)

    loop_thread, call_thread = asyncio.run(where(Blocking(inline=False)))
    assert call_thread != loop_thread
    loop_thread, call_thread = asyncio.run(where(Blocking(inline=True)))
    assert call_thread == loop_thread


@pytest.fixture
def threads_started() -> Iterator[list[str]]:
    """The names of the threads started (by `threading`) while the test runs."""
    started: list[str] = []

    def trace(frame: FrameType, event: str, arg: Any) -> None:
        started.append(threading.current_thread().name)
        sys.settrace(None)  # only the thread's first event: it started

    threading.settrace(trace)
    try:
        yield started
    finally:
        threading.settrace(None)


def test_a_lambda_invocation_starts_no_thread(seeded: str, threads_started: list[str]) -> None:
    with cold_start(function_env(seeded)) as module:
        bearer = {"authorization": f"Bearer {token(new_user())}"}
        json_body = {**bearer, "content-type": "application/json"}
        module.handler(http_event("GET", BASE, bearer), None)  # warm: the first request
        before = len(threads_started)
        body = {"name": "Chips", "tickers": ["nvda"]}
        created = module.handler(http_event("POST", BASE, json_body, body), None)
        assert created["statusCode"] == 201, created["body"]
        assert module.handler(http_event("GET", BASE, bearer), None)["statusCode"] == 200
        served = ("/api/v2/tickers/search?q=nv", "/api/v2/tickers/validate?symbol=NVDA")
        for path in (*served, "/health", "/ready"):
            assert module.handler(get_event(path, bearer), None)["statusCode"] == 200, path
        # Errors too, answered by the error map: routes off in Lambda, no route, no token,
        # an invalid body.
        for path, status in (("/metrics", 404), ("/ops/rollout", 404), ("/nowhere", 404)):
            assert module.handler(get_event(path, {}), None)["statusCode"] == status, path
        assert module.handler(get_event(BASE, {}), None)["statusCode"] == 401
        invalid = http_event("POST", BASE, json_body, {"name": "", "tickers": []})
        assert module.handler(invalid, None)["statusCode"] == 400
        assert threads_started[before:] == []


def get_event(path_and_query: str, headers: dict[str, str]) -> dict[str, Any]:
    path, _, query = path_and_query.partition("?")
    return {**http_event("GET", path, headers), "rawQueryString": query}
