"""An unexpected error is one JSON log record and one generic problem+json 500.

Starlette's ServerErrorMiddleware re-raises after its `Exception` handler answered, so the
server (uvicorn, or Mangum in Lambda) logged the same error a second time, as plain text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from config_api.api.app import create_app
from config_api.runtime import Runtime
from tests.support.api import BASE
from tests.support.lambda_app import container_event_loop, http_event
from tests.support.stack import Chaos, api_server, auth, client, new_user, settings_for

BODY = {"name": "Boom", "tickers": ["AAPL"]}
DENIED = {
    "service": "dynamodb",
    "operation": "TransactWriteItems",
    "probability": 1.0,
    "error": {"statusCode": 400, "code": "AccessDeniedException"},
}


class Collect(logging.Handler):
    """The records of the server's own logger (it does not propagate to pytest's)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR]


def assert_logged_once(caplog: pytest.LogCaptureFixture, server: Collect) -> None:
    ours = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert len(ours) == 1 and ours[0].exc_info is not None
    assert server.errors() == []
    [access] = [r for r in caplog.records if r.getMessage() == "request"]
    assert getattr(access, "status", None) == 500


def assert_generic_500(status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
    assert status == 500, body
    assert headers["content-type"] == "application/problem+json"
    assert body["code"] == "internal_error"
    assert body["correlation_id"] == headers["x-correlation-id"]
    assert "AccessDenied" not in json.dumps(body)


def test_an_unexpected_error_is_logged_once_by_uvicorn(
    seeded: str, chaos: Chaos, caplog: pytest.LogCaptureFixture
) -> None:
    chaos.faults([DENIED])
    uvicorn_log, uvicorn_logger = Collect(), logging.getLogger("uvicorn.error")
    with caplog.at_level(logging.INFO), api_server(settings_for(seeded)) as url:
        # Added once the server configured its logging (which replaces the handlers).
        uvicorn_logger.addHandler(uvicorn_log)
        with client(url) as http:
            resp = http.post(BASE, json=BODY, headers=auth(new_user()))
    # Leaving api_server waited for the server's tasks: whatever it logs is logged by now.
    uvicorn_logger.removeHandler(uvicorn_log)
    assert_generic_500(resp.status_code, dict(resp.headers), resp.json())
    assert_logged_once(caplog, uvicorn_log)


def test_an_unexpected_error_is_logged_once_in_lambda(
    seeded: str, chaos: Chaos, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(seeded)
    runtime = Runtime.from_settings(settings, mode="lambda")
    runtime.start()
    # As lambda_handler builds it (that module reads its settings from the environment).
    problem_json = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
    chaos.faults([DENIED])
    mangum_log, mangum_logger = Collect(), logging.getLogger("mangum.http")
    mangum_logger.addHandler(mangum_log)
    try:
        with container_event_loop(), caplog.at_level(logging.INFO):
            app = create_app(settings, runtime)
            handler = Mangum(app, lifespan="off", text_mime_types=problem_json)
            headers = auth(new_user()) | {"content-type": "application/json"}
            event = http_event("POST", BASE, headers, BODY)
            resp = handler(event, None)  # type: ignore[arg-type]  # no context: Mangum needs none
    finally:
        mangum_logger.removeHandler(mangum_log)
    assert_generic_500(resp["statusCode"], resp["headers"], json.loads(resp["body"]))
    assert_logged_once(caplog, mangum_log)
