"""The retry policy: what is retried, how often, how long it waits, and what it raises.

Errors are botocore's own exception types built by hand; tenacity's sleep is replaced by a
recorder, so nothing here really sleeps. Each policy call runs in a copied context, so a
deadline set by one test never leaks into the next.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from config_api.errors import DeadlineExceeded, DependencyThrottled, DependencyUnavailable
from config_api.request_context import begin_request, remaining_seconds
from config_api.retry import RetryPolicy, is_retryable

T = TypeVar("T")
URL = "https://dynamodb.us-east-1.amazonaws.com"


def client_error(code: str, status: int = 400, *, reasons: list[str] | None = None) -> ClientError:
    """A ClientError as botocore builds it from a parsed error response."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "simulated"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


def isolated(fn: Callable[[], T]) -> T:
    return contextvars.copy_context().run(fn)


class Recorder:
    """Stands in for time.sleep: records each sleep with the deadline time left at that moment."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.remaining: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.remaining.append(remaining_seconds())


class Failing:
    """A call that raises `errors` in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


RETRYABLE = [
    # DynamoDB
    client_error("ProvisionedThroughputExceededException"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded"),
    client_error("InternalServerError", 500),
    client_error("ServiceUnavailable", 503),
    client_error("TransactionConflict"),
    client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"]),
    client_error("TransactionCanceledException", reasons=["ProvisionedThroughputExceeded"]),
    client_error("TransactionCanceledException", reasons=["ThrottlingError", "None"]),
    # S3 ("503" is what botocore reports for a body-less HEAD response)
    client_error("SlowDown", 503),
    client_error("503", 503),
    client_error("InternalError", 500),
    client_error("RequestTimeout", 400),
    client_error("SomethingNew", 502),  # any 5xx, whatever its code
    # The request never reached the service:
    ConnectTimeoutError(endpoint_url=URL),
    EndpointConnectionError(endpoint_url=URL),
]
NOT_RETRYABLE = [
    client_error("ValidationException"),
    client_error("AccessDeniedException"),
    client_error("ConditionalCheckFailedException"),
    client_error("ResourceNotFoundException"),
    client_error("NoSuchKey", 404),
    client_error("304", 304),
    client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed", "None"]),
    client_error(
        "TransactionCanceledException", reasons=["ConditionalCheckFailed", "TransactionConflict"]
    ),
    client_error("TransactionCanceledException", reasons=["ValidationError"]),
    client_error("TransactionCanceledException", reasons=["None"]),
    ValueError("not an AWS error"),
]


def _id(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        reasons = [r["Code"] for r in exc.response.get("CancellationReasons", [])]
        return exc.response["Error"]["Code"] + (f"{reasons}" if reasons else "")
    return type(exc).__name__


@pytest.mark.parametrize("idempotent", [True, False])
@pytest.mark.parametrize("exc", RETRYABLE, ids=_id)
def test_transient_errors_are_retried(exc: BaseException, idempotent: bool) -> None:
    assert is_retryable(exc, idempotent=idempotent)


@pytest.mark.parametrize("idempotent", [True, False])
@pytest.mark.parametrize("exc", NOT_RETRYABLE, ids=_id)
def test_permanent_errors_are_not_retried(exc: BaseException, idempotent: bool) -> None:
    assert not is_retryable(exc, idempotent=idempotent)


def test_three_attempts_then_the_domain_error_with_retry_after() -> None:
    sleep = Recorder()
    policy = RetryPolicy(attempts=3, sleep=sleep)
    call = Failing(*[client_error("ProvisionedThroughputExceededException")] * 5)
    with pytest.raises(DependencyThrottled) as raised:
        isolated(lambda: policy.call("dynamodb", "PutItem", call))
    assert call.calls == 3
    assert len(sleep.sleeps) == 2
    assert raised.value.dependency == "dynamodb"
    assert raised.value.retry_after == policy.retry_after_seconds()
    assert "ProvisionedThroughputExceededException" in raised.value.detail
    assert isinstance(raised.value.__cause__, ClientError)


def test_a_transient_failure_that_clears_returns_the_result() -> None:
    sleep = Recorder()
    call = Failing(client_error("ThrottlingException"), client_error("InternalServerError", 500))
    assert isolated(lambda: RetryPolicy(sleep=sleep).call("dynamodb", "GetItem", call)) == "ok"
    assert call.calls == 3
    assert len(sleep.sleeps) == 2


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (client_error("ThrottlingException"), DependencyThrottled),
        (client_error("SlowDown", 503), DependencyThrottled),
        (client_error("TransactionConflict"), DependencyThrottled),
        (client_error("ServiceUnavailable", 503), DependencyUnavailable),
        (client_error("InternalError", 500), DependencyUnavailable),
        (EndpointConnectionError(endpoint_url=URL), DependencyUnavailable),
        (ReadTimeoutError(endpoint_url=URL), DeadlineExceeded),
    ],
    ids=_id,
)
def test_what_persists_is_translated(exc: BaseException, expected: type[Exception]) -> None:
    call = Failing(*[exc] * 3)
    with pytest.raises(expected) as raised:
        isolated(lambda: RetryPolicy(attempts=3, sleep=Recorder()).call("s3", "GetObject", call))
    assert call.calls == 3
    assert getattr(raised.value, "retry_after", 0) >= 1


def test_a_permanent_error_is_raised_unchanged_after_one_attempt() -> None:
    error = client_error("ConditionalCheckFailedException")
    call = Failing(error)
    sleep = Recorder()
    with pytest.raises(ClientError) as raised:
        isolated(lambda: RetryPolicy(sleep=sleep).call("dynamodb", "PutItem", call))
    assert raised.value is error
    assert raised.value.__cause__ is None  # not chained to itself
    assert call.calls == 1
    assert sleep.sleeps == []


def test_a_timed_out_attempt_makes_a_later_failure_an_unknown_outcome() -> None:
    # The timed-out attempt may have been applied: answering 429 ("not done") would invite a
    # client without an Idempotency-Key to create a duplicate, so the answer is 504.
    throttled = client_error("ProvisionedThroughputExceededException")
    call = Failing(ReadTimeoutError(endpoint_url=URL), throttled, throttled)
    policy = RetryPolicy(attempts=3, sleep=Recorder())
    with pytest.raises(DeadlineExceeded) as raised:
        isolated(lambda: policy.call("dynamodb", "TransactWriteItems", call))
    assert call.calls == 3
    assert "outcome unknown" in raised.value.detail
    assert raised.value.retry_after == policy.retry_after_seconds()


def test_without_a_timeout_throttling_stays_throttling() -> None:
    throttled = client_error("ProvisionedThroughputExceededException")
    call = Failing(client_error("ServiceUnavailable", 503), throttled, throttled)
    with pytest.raises(DependencyThrottled):
        isolated(lambda: RetryPolicy(attempts=3, sleep=Recorder()).call("dynamodb", "Query", call))


def test_a_non_idempotent_read_timeout_is_not_repeated() -> None:
    # The first attempt may have been applied; an idempotent one is retried (table above).
    call = Failing(ReadTimeoutError(endpoint_url=URL))
    sleep = Recorder()
    policy = RetryPolicy(sleep=sleep)
    with pytest.raises(DeadlineExceeded):
        isolated(lambda: policy.call("dynamodb", "UpdateItem", call, idempotent=False))
    assert call.calls == 1
    assert sleep.sleeps == []


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_attempts_setting_is_honoured(attempts: int) -> None:
    call = Failing(*[client_error("ServiceUnavailable", 503)] * 10)
    with pytest.raises(DependencyUnavailable):
        isolated(
            lambda: RetryPolicy(attempts=attempts, sleep=Recorder()).call("s3", "GetObject", call)
        )
    assert call.calls == attempts


def test_backoff_is_full_jitter_exponential_capped_at_four_seconds() -> None:
    base, cap, attempts = 0.5, 4.0, 8
    sleeps_by_retry: list[list[float]] = [[] for _ in range(attempts - 1)]
    for _ in range(200):
        sleep = Recorder()
        call = Failing(*[client_error("ThrottlingException")] * attempts)
        policy = RetryPolicy(attempts=attempts, base_seconds=base, sleep=sleep)
        with pytest.raises(DependencyThrottled):
            isolated(partial(policy.call, "dynamodb", "Query", call))
        for n, seconds in enumerate(sleep.sleeps):
            sleeps_by_retry[n].append(seconds)
    for n, seen in enumerate(sleeps_by_retry):
        bound = min(cap, base * 2**n)
        assert all(0 <= s <= bound for s in seen), (n, bound, max(seen))
        # Full jitter spreads over the whole range, not just near the exponential value
        # (each check fails by chance with probability 2**-200).
        assert min(seen) < bound / 2 < max(seen), (n, bound)
    # The cap is reached (retries 3..6 may wait up to 4 s) and never exceeded.
    assert max(max(seen) for seen in sleeps_by_retry) > 3.0


def test_retry_after_is_derived_from_the_policy() -> None:
    assert RetryPolicy().retry_after_seconds() == 1  # 25 ms * 2**3 rounds up to one second
    assert RetryPolicy(attempts=3, base_seconds=0.25).retry_after_seconds() == 2
    assert RetryPolicy(attempts=3, base_seconds=1.0).retry_after_seconds() == 4  # capped
    assert (
        RetryPolicy(attempts=5, base_seconds=1.0, max_backoff_seconds=8).retry_after_seconds() == 8
    )


def test_an_expired_deadline_allows_no_retry() -> None:
    sleep = Recorder()
    call = Failing(*[client_error("ThrottlingException")] * 3)

    def in_request() -> str:
        begin_request("cid-expired", 0.0)
        return RetryPolicy(sleep=sleep).call("dynamodb", "PutItem", call)

    with pytest.raises(DependencyThrottled):
        isolated(in_request)
    assert call.calls == 1
    assert sleep.sleeps == []


def test_no_sleep_crosses_the_deadline() -> None:
    # Long backoffs against a short deadline: the policy stops before a sleep would cross it,
    # well before it runs out of attempts (all ten are reached with probability < 1e-9).
    for _ in range(50):
        sleep = Recorder()
        call = Failing(*[client_error("ServiceUnavailable", 503)] * 10)

        def in_request(sleep: Recorder = sleep, call: Failing = call) -> str:
            begin_request("cid-deadline", 0.5)
            policy = RetryPolicy(attempts=10, base_seconds=1.0, sleep=sleep)
            return policy.call("dynamodb", "GetItem", call)

        with pytest.raises(DependencyUnavailable):
            isolated(in_request)
        assert call.calls < 10
        # The recorder reads the clock a little after the policy decided (the retry log line is
        # written in between), hence the slack; a policy ignoring the deadline overshoots by
        # far more: its later sleeps are drawn from up to 4 s.
        pairs = list(zip(sleep.sleeps, sleep.remaining, strict=True))
        assert all(s < left + 0.1 for s, left in pairs), pairs


def test_each_retry_is_logged_with_the_correlation_id_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[str, str, int, str]] = []
    policy = RetryPolicy(sleep=Recorder(), on_retry=lambda *args: seen.append(args))
    call = Failing(client_error("ThrottlingException"), client_error("SlowDown", 503))

    def in_request() -> str:
        begin_request("cid-logged", 5.0)
        return policy.call("s3", "GetObject", call)

    with caplog.at_level(logging.WARNING):
        assert isolated(in_request) == "ok"
    assert seen == [
        ("s3", "GetObject", 1, "ThrottlingException"),
        ("s3", "GetObject", 2, "SlowDown"),
    ]
    records = [r for r in caplog.records if r.getMessage() == "aws call retried"]
    assert [(r.attempt, r.error_code) for r in records] == [  # type: ignore[attr-defined]
        (1, "ThrottlingException"),
        (2, "SlowDown"),
    ]
    for record in records:
        fields = vars(record)
        assert fields["correlation_id"] == "cid-logged"
        assert fields["dependency"] == "s3"
        assert fields["operation"] == "GetObject"
