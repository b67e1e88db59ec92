"""A PATCH whose UpdateItem DynamoDB fails with a 500, over HTTP with the chaos API on.

DynamoDB's InternalServerError means the request "may or may not have succeeded". With
If-Match the update is not idempotent: a repeat after an applied attempt would find its own
version bump and answer 412 for a change that was made. So it is not repeated, and the
answer is 504 "outcome unknown". Without If-Match the update is idempotent: it is repeated,
and a 500 that persists is a 503.
"""

from __future__ import annotations

import httpx

from tests.support.api import BASE, created
from tests.support.metrics import event
from tests.support.problems import assert_problem, assert_retry_after
from tests.support.stack import Chaos, auth, new_user, settings_for

UPDATE_FAILS = {
    "service": "dynamodb",
    "operation": "UpdateItem",
    "probability": 1.0,
    "error": {"statusCode": 500, "code": "InternalServerError"},
}


def update_retries(api: httpx.Client) -> int:
    return event(api, "aws_retries_total", dependency="dynamodb", operation="UpdateItem")


def rename(api: httpx.Client, user: str, config_id: str, if_match: str | None) -> httpx.Response:
    headers = auth(user) | ({"If-Match": if_match} if if_match else {})
    return api.patch(f"{BASE}/{config_id}", json={"name": "Renamed"}, headers=headers)


def failed_rename(
    api: httpx.Client, chaos: Chaos, seeded: str, if_match: str | None
) -> tuple[str, str, httpx.Response, int]:
    """A rename while UpdateItem fails: the user, the configuration, the answer (with the
    shared server's Retry-After) and how many retries it took."""
    user = new_user()
    config_id = created(api, user, name="Original")["config_id"]
    chaos.faults([UPDATE_FAILS])
    before = update_retries(api)
    resp = rename(api, user, config_id, if_match)
    assert_retry_after(resp, settings_for(seeded))
    return user, config_id, resp, update_retries(api) - before


def test_if_match_patch_failing_with_a_500_is_504_outcome_unknown_not_repeated(
    api: httpx.Client, chaos: Chaos, seeded: str
) -> None:
    user, config_id, resp, retries = failed_rename(api, chaos, seeded, '"1"')
    body = assert_problem(resp, 504, "deadline_exceeded")
    # The kind of failure and what to do; the call and its AWS error go to the log only.
    assert "may or may not have been applied" in body["detail"]
    assert "UpdateItem" not in body["detail"] and "InternalServerError" not in body["detail"]
    assert retries == 0  # one attempt: a repeat could not be trusted
    chaos.clear()
    # The client re-reads to learn what happened (here: the fault came before any change).
    fetched = api.get(f"{BASE}/{config_id}", headers=auth(user))
    assert (fetched.json()["name"], fetched.headers["ETag"]) == ("Original", '"1"')


def test_patch_without_if_match_failing_with_a_500_is_repeated_then_503(
    api: httpx.Client, chaos: Chaos, seeded: str
) -> None:
    _, _, resp, retries = failed_rename(api, chaos, seeded, None)
    body = assert_problem(resp, 503, "service_unavailable")
    assert "InternalServerError" not in body["detail"]  # logged, not answered
    # Every attempt the policy allows was made: all but the last are retries.
    assert retries == settings_for(seeded).retry_attempts - 1
