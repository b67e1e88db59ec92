"""The one check of an error response: RFC 9457 problem+json with our code and correlation id."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx

from config_api.retry.policy import RetryPolicy
from config_api.settings import Settings

PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "correlation_id"}


def assert_problem(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The body of a problem response with `status` (and `code`, when given); returns it."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert body["type"] == f"urn:config-api:problem:{body['code']}"
    assert body["detail"]
    assert body["message"] == body["detail"]  # what the dashboard's client shows
    assert body["correlation_id"] == resp.headers["X-Correlation-ID"]
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_retry_after(resp: httpx.Response, settings: Settings) -> int:
    """Retry-After as the retry policy of a server with `settings` advises it; its seconds."""
    value = resp.headers["Retry-After"]
    assert value.isdigit() and int(value) >= 1, value
    policy = RetryPolicy(
        attempts=settings.retry_attempts,
        base_seconds=settings.retry_base_seconds,
        max_backoff_seconds=settings.retry_max_backoff_seconds,
    )
    assert int(value) == policy.retry_after_seconds()
    return int(value)
