"""The retry budget over HTTP, with the chaos API: a persistent outage stops the retries
(one attempt per call, the right 429 with Retry-After), the first answer brings them back,
and random faults keep being retried.

Each test runs its own API server (its own process-wide circuits, as a fresh Lambda container
would), with the default settings: 5 attempts, the circuit opens after 15 failed attempts in
a row. Faults hit TransactWriteItems only, so no other server's background reads are touched;
attempts are counted by the server's own retry counter (works against LocalStack too).
"""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.support.api import BASE, create
from tests.support.metrics import event
from tests.support.problems import assert_problem
from tests.support.stack import Chaos, api_server, auth, client, fault, new_user, settings_for

THROTTLED = fault("ProvisionedThroughputExceededException", 400, "TransactWriteItems")


def retries(http: httpx.Client) -> int:
    return event(http, "aws_retries_total", dependency="dynamodb", operation="TransactWriteItems")


def changes(http: httpx.Client, state: str) -> int:
    return event(http, "retry_circuit_changes_total", dependency="dynamodb", state=state)


def attempts(http: httpx.Client, user: str) -> tuple[httpx.Response, int]:
    """One create and how many TransactWriteItems attempts it made (every create of a user
    who already has a configuration is exactly one transaction, plus its retries)."""
    before = retries(http)
    resp = create(http, user)
    return resp, 1 + retries(http) - before


def test_persistent_throttling_stops_retries_until_dynamodb_answers(
    seeded: str, chaos: Chaos, caplog: pytest.LogCaptureFixture
) -> None:
    with api_server(settings_for(seeded)) as url, client(url) as http:
        user = new_user()
        assert create(http, user).status_code == 201  # the counter item exists from now on
        opened, closed = changes(http, "open"), changes(http, "closed")
        chaos.faults([THROTTLED])
        seen: list[int] = []
        with caplog.at_level(logging.INFO):
            for n in range(6):
                resp, made = attempts(http, user)
                assert_problem(resp, 429, "throttled")
                # The next call is itself a probe (one attempt, sent at once): the least a
                # client should wait is the header's minimum, 1 s.
                assert resp.headers["Retry-After"] == "1", n
                seen.append(made)
            # 3 calls x 5 attempts = the 15 failures in a row; from then on, one attempt.
            assert seen == [5, 5, 5, 1, 1, 1]
            assert (changes(http, "open"), changes(http, "closed")) == (opened + 1, closed)

            chaos.clear()
            resp, made = attempts(http, user)  # the first answer closes the circuit
            assert (resp.status_code, made) == (201, 1)
            assert changes(http, "closed") == closed + 1
        logs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retry circ")]
        assert logs == [
            "retry circuit opened: one attempt per call",
            "retry circuit closed: retries allowed",
        ]

        chaos.faults([THROTTLED])  # retries are back: a new outage gets the whole policy
        resp, made = attempts(http, user)
        assert (resp.status_code, made) == (429, 5)


def test_a_call_that_answers_closes_the_circuit_for_every_operation(
    seeded: str, chaos: Chaos
) -> None:
    """The circuit is the dependency's: a read that DynamoDB answers while writes are being
    throttled also says it is back."""
    with api_server(settings_for(seeded)) as url, client(url) as http:
        user = new_user()
        assert create(http, user).status_code == 201
        opened, closed = changes(http, "open"), changes(http, "closed")
        chaos.faults([THROTTLED])
        for _ in range(4):
            assert create(http, user).status_code == 429
        assert changes(http, "open") == opened + 1
        assert http.get(BASE, headers=auth(user)).status_code == 200
        assert changes(http, "closed") == closed + 1


def test_random_throttling_keeps_being_retried(seeded: str, chaos: Chaos) -> None:
    # 10 attempts so that the dice cannot fail a create (0.3**10 = 6e-6), even unseeded on
    # LocalStack; the circuit still opens only after 15 failures in a row (0.3**15 = 1e-8).
    settings = settings_for(seeded, retry_attempts=10)
    with api_server(settings) as url, client(url) as http:
        users = [new_user() for _ in range(8)]
        for user in users:
            assert create(http, user).status_code == 201
        opened, before = changes(http, "open"), retries(http)
        chaos.faults(
            [fault("ProvisionedThroughputExceededException", 400, "TransactWriteItems", 0.3)]
        )
        statuses = [create(http, user).status_code for user in users for _ in range(3)]
        assert statuses == [201] * 24
        assert retries(http) > before  # faults fired, and were retried
        assert changes(http, "open") == opened
