"""Resilience over HTTP with the chaos API on: what a client sees when AWS misbehaves.

Transient faults must not reach the user; persistent ones come back as precise problem+json
responses with a Retry-After derived from the retry policy. The API servers run in this
process, so their retry and fallback counters (config_api.observability.metrics) can be read here.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from config_api.tickers.cache import DEGRADED_RETRY_SECONDS
from tests.support.api import BASE, create
from tests.support.metrics import event
from tests.support.problems import assert_problem, assert_retry_after
from tests.support.stack import (
    Chaos,
    api_server,
    auth,
    client,
    fault,
    free_port,
    new_user,
    settings_for,
)

S3_DOWN = {
    "service": "s3",
    "operation": "GetObject",
    "error": {"statusCode": 503, "code": "SlowDown"},
}


def traced(cid: str, header: str = "X-Correlation-ID") -> dict[str, str]:
    """Our own correlation id on a request (X-Request-ID: the one a gateway may set)."""
    return {header: cid}


def retries(http: httpx.Client, **labels: str) -> int:
    """DynamoDB calls `http`'s server repeated, by its own metrics."""
    return event(http, "aws_retries_total", dependency="dynamodb", **labels)


def logged(caplog: pytest.LogCaptureFixture, message: str, cid: str) -> list[dict[str, Any]]:
    return [
        vars(r)
        for r in caplog.records
        if r.getMessage() == message and getattr(r, "correlation_id", None) == cid
    ]


@pytest.fixture(scope="module")
def patient(seeded: str) -> Iterator[httpx.Client]:
    """More attempts with short waits: transient faults are absorbed whatever the dice say
    (so this holds on LocalStack too, whose chaos is not seeded)."""
    settings = settings_for(seeded, retry_attempts=10, retry_max_backoff_seconds=0.05)
    with api_server(settings) as url, client(url) as http:
        yield http


# Short read timeout and deadline, and attempts to spare: the deadline ends the retries.
IMPATIENT = {"aws_read_timeout": 0.3, "request_deadline_seconds": 2, "retry_attempts": 10}


@pytest.fixture(scope="module")
def impatient(seeded: str) -> Iterator[httpx.Client]:
    with api_server(settings_for(seeded, **IMPATIENT)) as url, client(url) as http:
        yield http


@pytest.mark.parametrize(
    ("code", "status"),
    [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)],
)
def test_transient_dynamodb_faults_do_not_reach_the_user(
    patient: httpx.Client, chaos: Chaos, code: str, status: int
) -> None:
    before = retries(patient, error_code=code)
    created = event(patient, "configuration_creates_total", outcome="created")
    chaos.faults([fault(code, status, p=0.3)])
    users = [new_user() for _ in range(8)]
    responses = [create(patient, user) for user in users]
    assert [r.status_code for r in responses] == [201] * len(users), [r.text for r in responses]
    assert retries(patient, error_code=code) > before  # faults did fire, and were retried
    assert event(patient, "configuration_creates_total", outcome="created") == created + len(users)
    chaos.clear()
    for user in users:  # each create stored exactly once despite the repeats
        listed = patient.get(BASE, headers=auth(user)).json()["configurations"]
        assert len(listed) == 1


def test_persistent_throttling_is_429_with_retry_after(
    api: httpx.Client, chaos: Chaos, seeded: str, caplog: pytest.LogCaptureFixture
) -> None:
    # An answer first: this shared server's retry circuit is closed whatever earlier tests did.
    assert create(api, new_user()).status_code == 201
    chaos.faults([fault("ProvisionedThroughputExceededException", 400, "TransactWriteItems")])
    before = retries(api, operation="TransactWriteItems")
    with caplog.at_level(logging.INFO):
        resp = create(api, new_user(), headers=traced("resilience-throttled-1"))
    body = assert_problem(resp, 429, "throttled")
    assert body["correlation_id"] == "resilience-throttled-1"
    assert assert_retry_after(resp, settings_for(seeded)) >= 1
    # Every attempt but the last is a retry, logged with the request's correlation id and
    # counted.
    attempts = settings_for(seeded).retry_attempts
    assert retries(api, operation="TransactWriteItems") - before == attempts - 1
    logs = logged(caplog, "aws call retried", "resilience-throttled-1")
    assert [(r["attempt"], r["operation"]) for r in logs] == [
        (n, "TransactWriteItems") for n in range(1, attempts)
    ]
    assert {r["error_code"] for r in logs} == {"ProvisionedThroughputExceededException"}
    outcome = logged(caplog, "configuration create", "resilience-throttled-1")
    assert [r["outcome"] for r in outcome] == ["throttled"]


@pytest.mark.parametrize(
    ("code", "status"), [("InternalServerError", 500), ("ServiceUnavailable", 503)]
)
def test_persistent_dynamodb_5xx_is_503_with_retry_after(
    api: httpx.Client, chaos: Chaos, seeded: str, code: str, status: int
) -> None:
    chaos.faults([fault(code, status)])
    user = new_user()
    resp = create(api, user, headers=traced(f"resilience-{status}", "X-Request-ID"))
    assert (
        assert_problem(resp, 503, "service_unavailable")["correlation_id"] == f"resilience-{status}"
    )
    assert code not in resp.json()["detail"]  # the kind of failure; the AWS code is logged
    assert_retry_after(resp, settings_for(seeded))
    listing = api.get(BASE, headers=auth(user))
    assert_problem(listing, 503, "service_unavailable")
    assert_retry_after(listing, settings_for(seeded))


def test_latency_above_the_read_timeout_is_504_within_the_deadline(
    impatient: httpx.Client, chaos: Chaos, seeded: str
) -> None:
    settings = settings_for(seeded, **IMPATIENT)
    deadline, read = settings.request_deadline_seconds, settings.aws_read_timeout
    attempt = settings.aws_connect_timeout + read  # the longest one attempt may take
    timeouts = {"operation": "TransactWriteItems", "error_code": "ReadTimeoutError"}
    before = retries(impatient, **timeouts)
    chaos.latency(1000)
    started = time.monotonic()
    resp = create(impatient, new_user(), headers=traced("resilience-slow"))
    elapsed = time.monotonic() - started
    assert assert_problem(resp, 504, "deadline_exceeded")["correlation_id"] == "resilience-slow"
    assert "Retry-After" in resp.headers
    # Counted, not timed. Every attempt runs at least the read timeout (the latency is
    # longer), and a retry starts only while a whole attempt still fits before the deadline:
    # attempt k >= 2 starts after (k - 1) x read and no later than deadline - attempt. So at
    # most 1 + (2 - 1.3) // 0.3 = 3 of the 10 attempts; a policy that only kept its sleeps
    # inside the deadline would make about 2 / 0.3, i.e. 6 or 7.
    # (The first attempt ends with about 1.7 s left, so one retry always fits.)
    attempts = 1 + retries(impatient, **timeouts) - before
    most = 1 + math.floor((deadline - attempt) / read)
    assert most == 3
    assert 2 <= attempts <= most, attempts
    assert elapsed < 10  # a hang guard only


def test_unreachable_aws_is_503(seeded: str) -> None:
    # Nothing listens on this port: connection refused, retried, then 503 (S3 too: bundled).
    settings = settings_for(f"http://127.0.0.1:{free_port()}")
    with api_server(settings) as url, client(url) as http:
        resp = create(http, new_user(), headers=traced("unreachable-1"))
        assert assert_problem(resp, 503, "service_unavailable")["correlation_id"] == "unreachable-1"
        assert "unavailable" in resp.json()["detail"]
        assert "EndpointConnectionError" not in resp.json()["detail"]  # logged, not answered
        assert_retry_after(resp, settings)
        assert_problem(http.get("/ready"), 503, "service_unavailable")


def test_s3_down_at_cold_start_serves_the_bundled_list(seeded: str, chaos: Chaos) -> None:
    chaos.faults([S3_DOWN])
    with api_server(settings_for(seeded)) as url, client(url) as http:
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["tickers"]["source"] == "bundled"
        assert event(http, "ticker_list_fallbacks_total", source="bundled") == 1
        assert create(http, new_user(), tickers=["AAPL", "msft"]).status_code == 201
        rejected = create(http, new_user(), tickers=["AAPL", "ZZZZZ"], headers=traced("zzzzz-1"))
        body = assert_problem(rejected, 400, "invalid_tickers")
        assert body["correlation_id"] == "zzzzz-1"
        assert [e["symbol"] for e in body["errors"]] == ["ZZZZZ"]


def test_allow_any_with_s3_down_checks_only_the_form(seeded: str, chaos: Chaos) -> None:
    chaos.faults([S3_DOWN])
    with api_server(settings_for(seeded, ticker_fallback="allow-any")) as url, client(url) as http:
        assert http.get("/ready").json()["tickers"]["source"] == "allow-any"
        assert create(http, new_user(), tickers=["ZZZZZ"]).status_code == 201
        assert_problem(create(http, new_user(), tickers=["1$"]), 400, "invalid_tickers")


def test_strict_with_s3_down_is_503(seeded: str, chaos: Chaos) -> None:
    chaos.faults([S3_DOWN])
    settings = settings_for(seeded, ticker_fallback="strict")
    with api_server(settings) as url, client(url) as http:
        resp = create(http, new_user(), headers=traced("strict-1"))
        assert assert_problem(resp, 503, "service_unavailable")["correlation_id"] == "strict-1"
        # Not the AWS retry policy's figure: the ticker cache's next S3 attempt.
        assert resp.headers["Retry-After"] == str(int(DEGRADED_RETRY_SECONDS))
        ready = http.get("/ready")
        assert_problem(ready, 503, "service_unavailable")
        assert ready.headers["Retry-After"] == str(int(DEGRADED_RETRY_SECONDS))


@pytest.mark.parametrize(("n", "code"), [(0, "AccessDeniedException"), (1, "ValidationException")])
def test_a_permanent_unexpected_fault_is_a_generic_500(
    api: httpx.Client, chaos: Chaos, caplog: pytest.LogCaptureFixture, n: int, code: str
) -> None:
    # Not retried (it cannot help) and not a 503: a Retry-After would invite retries that
    # cannot succeed until an operator fixes the deployment. The log has the details.
    chaos.faults([fault(code, 400, "TransactWriteItems")])
    cid = f"unexpected-{n}"
    with caplog.at_level(logging.ERROR):
        resp = create(api, new_user(), headers=traced(cid))
    body = assert_problem(resp, 500, "internal_error")
    assert body["correlation_id"] == cid
    assert "Retry-After" not in resp.headers
    assert code not in resp.text and "Traceback" not in resp.text
    errors = logged(caplog, "unexpected error", cid)
    assert len(errors) == 1 and errors[0]["exc_info"] is not None
    assert code in str(errors[0]["exc_info"][1])
