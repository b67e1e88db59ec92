"""The Lambda entry point as Lambda runs it: imported fresh under a function's environment
(the cold start), invoked with API Gateway HTTP API (payload 2.0) events, its stdout (the
EMF blobs) captured per invocation."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import io
import json
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from config_api.settings import get_settings

MODULE = "config_api.lambda_handler"
ADMIN_TOKEN = "lambda-admin-token-0123456789"  # set in the function, yet the admin call is off


def s3_reads(endpoint: str) -> int:
    with urllib.request.urlopen(f"{endpoint}/_emulator/requests", timeout=10) as resp:
        counts: dict[str, dict[str, int]] = json.loads(resp.read())
    return counts.get("s3", {}).get("GetObject", 0)


@dataclass
class ColdStart:
    module: ModuleType
    s3_reads_before: int  # GetObject requests the emulator had served before the import


def http_event(method: str, path: str, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
    """An API Gateway HTTP API event, payload format 2.0, $default stage."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", **headers},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "28/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_867_200_000,
        },
        "isBase64Encoded": False,
        **({} if body is None else {"body": json.dumps(body)}),
    }


def function_env(endpoint: str, **extra: str) -> dict[str, str]:
    """A deployed function's variables, with the test stack at `endpoint` for AWS and the
    tests' HS256 secret for tokens; `extra` adds or replaces variables."""
    from tests.support.stack import TEST_SECRET, settings_for

    settings = settings_for(endpoint)
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "TABLE_NAME": settings.table_name,
        "TICKER_BUCKET": settings.ticker_bucket,
        "TICKER_KEY": settings.ticker_key,
        "JWT_SECRET": TEST_SECRET,
        **extra,
    }


@contextlib.contextmanager
def container_event_loop() -> Iterator[None]:
    """The event loop a Lambda container keeps for its life: Mangum runs every invocation on
    the thread's current loop (creating one if there is none) and never closes it. Here it is
    closed when the container's test ends, so no loop (and its socket pair) is left behind."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@contextlib.contextmanager
def cold_start(env: dict[str, str]) -> Iterator[ModuleType]:
    """The handler module imported fresh with `env` set, as a new container would."""
    with pytest.MonkeyPatch.context() as patch, container_event_loop():
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        sys.modules.pop(MODULE, None)
        try:
            yield importlib.import_module(MODULE)
        finally:
            sys.modules.pop(MODULE, None)
            get_settings.cache_clear()
            # The handler's init froze every object of this process (gc.freeze) and may have
            # stopped half-way with the collector off: hand both back to the test process.
            gc.unfreeze()
            gc.enable()


@dataclass
class Invocations:
    """What a function's invocations returned, and the log lines they wrote."""

    handler: Any
    statuses: list[int] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):  # Lambda ships stdout to CloudWatch Logs
            response: dict[str, Any] = self.handler(event, None)
        self.statuses.append(response["statusCode"])
        self.log.extend(out.getvalue().splitlines())
        return response
