"""A PATCH whose UpdateItem DynamoDB fails with a 500, over HTTP with the chaos API on.

DynamoDB's InternalServerError means the request "may or may not have succeeded". With
If-Match the update is not idempotent: a repeat after an applied attempt would find its own
version bump and answer 412 for a change that was made. So it is not repeated, and the
answer is 504 "outcome unknown". Without If-Match the update is idempotent: it is repeated,
and a 500 that persists is a 503.
"""

from __future__ import annotations

from typing import Any

import httpx

from config_api.observability import metrics
from config_api.retry.policy import RetryPolicy
from tests.support.stack import Chaos, auth, new_user, settings_for

BASE = "/api/v2/configurations"
UPDATE_FAILS = {
    "service": "dynamodb",
    "operation": "UpdateItem",
    "probability": 1.0,
    "error": {"statusCode": 500, "code": "InternalServerError"},
}


def created(api: httpx.Client, user: str) -> str:
    resp = api.post(BASE, json={"name": "Original", "tickers": ["AAPL"]}, headers=auth(user))
    assert resp.status_code == 201, resp.text
    config_id: str = resp.json()["config_id"]
    return config_id


def rename(api: httpx.Client, user: str, config_id: str, if_match: str | None) -> httpx.Response:
    headers = auth(user) | ({"If-Match": if_match} if if_match else {})
    return api.patch(f"{BASE}/{config_id}", json={"name": "Renamed"}, headers=headers)


def update_retries() -> int:
    return metrics.total("aws_retries_total", dependency="dynamodb", operation="UpdateItem")


def problem_of(resp: httpx.Response, status: int, code: str, seeded: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    settings = settings_for(seeded)
    policy = RetryPolicy(
        attempts=settings.retry_attempts,
        base_seconds=settings.retry_base_seconds,
        max_backoff_seconds=settings.retry_max_backoff_seconds,
    )
    assert resp.headers["Retry-After"] == str(policy.retry_after_seconds())
    body: dict[str, Any] = resp.json()
    assert body["code"] == code
    return body


def test_if_match_patch_failing_with_a_500_is_504_outcome_unknown_not_repeated(
    api: httpx.Client, chaos: Chaos, seeded: str
) -> None:
    user = new_user()
    config_id = created(api, user)
    chaos.faults([UPDATE_FAILS])
    before = update_retries()
    resp = rename(api, user, config_id, '"1"')
    body = problem_of(resp, 504, "deadline_exceeded", seeded)
    assert body["detail"] == "dynamodb UpdateItem: outcome unknown after InternalServerError"
    assert update_retries() == before  # one attempt: a repeat could not be trusted
    chaos.clear()
    # The client re-reads to learn what happened (here: the fault came before any change).
    fetched = api.get(f"{BASE}/{config_id}", headers=auth(user))
    assert (fetched.json()["name"], fetched.headers["ETag"]) == ("Original", '"1"')


def test_patch_without_if_match_failing_with_a_500_is_repeated_then_503(
    api: httpx.Client, chaos: Chaos, seeded: str
) -> None:
    user = new_user()
    config_id = created(api, user)
    chaos.faults([UPDATE_FAILS])
    before = update_retries()
    resp = rename(api, user, config_id, None)
    body = problem_of(resp, 503, "service_unavailable", seeded)
    assert "InternalServerError" in body["detail"]
    # Every attempt the policy allows was made: all but the last are retries.
    assert update_retries() - before == settings_for(seeded).retry_attempts - 1
