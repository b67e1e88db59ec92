"""A 429/503/504 tells the client the kind of failure and the correlation id; which DynamoDB
operation failed, and with which AWS error code, goes to the log under that correlation id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import BASE
from tests.support.logs import captured_logs
from tests.support.stack import Chaos, auth, new_user

INTERNALS = ("dynamodb", "DynamoDB", "Query", "ServiceUnavailable", "ThrottlingException")


def query_fails(status: int, code: str) -> list[dict[str, Any]]:
    error = {"statusCode": status, "code": code}
    return [{"service": "dynamodb", "operation": "Query", "error": error}]


@pytest.mark.parametrize(
    ("status", "code", "answered"),
    [(503, "ServiceUnavailable", 503), (400, "ThrottlingException", 429)],
)
def test_a_failed_call_is_described_by_kind_and_logged_in_full(
    api: httpx.Client, chaos: Chaos, status: int, code: str, answered: int
) -> None:
    chaos.faults(query_fails(status, code))
    with captured_logs() as logs:
        resp = api.get(BASE, headers=auth(new_user()))
    assert resp.status_code == answered, resp.text
    body = resp.json()
    cid = body["correlation_id"]
    assert cid == resp.headers["x-correlation-id"]
    shown = f"{body['detail']} {body.get('message', '')} {body['title']} {body['code']}"
    assert not [word for word in INTERNALS if word in shown], shown
    assert "Retry-After" in body["detail"]  # what to do about it
    logged = logs.records(mentioning=cid)
    failed = [r for r in logged if r.get("message") == "request failed"]
    assert failed and "Query" in str(failed) and code in str(failed), logged
