"""What the retry policy repeats, what it gives up on at once, and what it raises in the end.

Errors are botocore's own exception types built by hand (tests/support/retry_kit.py).
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from config_api.domain.errors import (
    DeadlineExceeded,
    DependencyThrottled,
    DependencyUnavailable,
    ResourceMissing,
)
from config_api.retry.policy import RetryPolicy, is_retryable, maybe_applied
from config_api.settings import Settings
from tests.support.logs import captured_logs
from tests.support.retry_kit import URL, Failing, Recorder, client_error, error_id, isolated

# Refused before anything happened: repeating can only help, whatever the call.
REFUSED = [
    # DynamoDB
    client_error("ProvisionedThroughputExceededException"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded"),
    client_error("TransactionConflict"),
    client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"]),
    client_error("TransactionCanceledException", reasons=["ProvisionedThroughputExceeded"]),
    client_error("TransactionCanceledException", reasons=["ThrottlingError", "None"]),
    # S3
    client_error("SlowDown", 503),  # a throttle, though a 503
    client_error("RequestTimeout", 400),  # the request body never fully arrived
    # The request never reached the service:
    ConnectTimeoutError(endpoint_url=URL),
    EndpointConnectionError(endpoint_url=URL),
]
# The service failed while processing the request ("may or may not have succeeded"), or the
# response was lost: repeated only when repeating is harmless.
MAYBE_APPLIED = [
    client_error("InternalServerError", 500),
    client_error("ServiceUnavailable", 503),
    client_error("InternalError", 500),
    client_error("503", 503),  # what botocore reports for a body-less S3 HEAD response
    client_error("SomethingNew", 502),  # any 5xx, whatever its code
    ReadTimeoutError(endpoint_url=URL),
    ConnectionClosedError(endpoint_url=URL),
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


@pytest.mark.parametrize("idempotent", [True, False])
@pytest.mark.parametrize("exc", REFUSED, ids=error_id)
def test_refused_requests_are_retried(exc: BaseException, idempotent: bool) -> None:
    assert is_retryable(exc, idempotent=idempotent)
    assert not maybe_applied(exc)


@pytest.mark.parametrize("exc", MAYBE_APPLIED, ids=error_id)
def test_maybe_applied_requests_are_retried_only_when_idempotent(exc: BaseException) -> None:
    assert maybe_applied(exc)
    assert is_retryable(exc, idempotent=True)
    # A conditional update repeated after it was applied would fail its own version check.
    assert not is_retryable(exc, idempotent=False)


@pytest.mark.parametrize("idempotent", [True, False])
@pytest.mark.parametrize("exc", NOT_RETRYABLE, ids=error_id)
def test_permanent_errors_are_not_retried(exc: BaseException, idempotent: bool) -> None:
    assert not is_retryable(exc, idempotent=idempotent)
    assert not maybe_applied(exc)


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
    ids=error_id,
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
    assert "outcome unknown" in str(raised.value.cause)
    assert "may or may not have been applied" in raised.value.detail
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


@pytest.mark.parametrize(
    "exc",
    [
        client_error("InternalServerError", 500),
        client_error("ServiceUnavailable", 503),
        client_error("SomethingNew", 502),
    ],
    ids=error_id,
)
def test_a_non_idempotent_5xx_is_an_unknown_outcome_not_repeated(exc: ClientError) -> None:
    # DynamoDB's InternalServerError "may or may not have succeeded": a repeated If-Match
    # update would find its own version bump and answer 412 for a change that was applied.
    call = Failing(exc, exc)
    sleep = Recorder()
    policy = RetryPolicy(sleep=sleep)
    with pytest.raises(DeadlineExceeded) as raised:
        isolated(lambda: policy.call("dynamodb", "UpdateItem", call, idempotent=False))
    assert call.calls == 1
    assert sleep.sleeps == []
    code = exc.response["Error"]["Code"]
    assert raised.value.cause == f"dynamodb UpdateItem: outcome unknown after {code}"
    assert code not in raised.value.detail and "UpdateItem" not in raised.value.detail
    assert raised.value.retry_after == policy.retry_after_seconds()
    assert raised.value.__cause__ is exc


@pytest.mark.parametrize(
    "exc",
    [
        client_error("ProvisionedThroughputExceededException"),
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
    ],
    ids=error_id,
)
def test_a_non_idempotent_call_refused_before_it_ran_is_repeated(exc: BaseException) -> None:
    call = Failing(exc, exc)
    policy = RetryPolicy(sleep=Recorder())
    assert isolated(lambda: policy.call("dynamodb", "UpdateItem", call, idempotent=False)) == "ok"
    assert call.calls == 3


def test_retry_after_is_derived_from_the_policy() -> None:
    assert RetryPolicy().retry_after_seconds() == 1  # 25 ms * 2**3 rounds up to one second
    assert RetryPolicy(attempts=3, base_seconds=0.25).retry_after_seconds() == 2
    assert RetryPolicy(attempts=3, base_seconds=1.0).retry_after_seconds() == 4  # capped
    assert (
        RetryPolicy(attempts=5, base_seconds=1.0, max_backoff_seconds=8).retry_after_seconds() == 8
    )


def test_the_default_attempt_time_is_the_default_client_timeouts() -> None:
    fields = Settings.model_fields
    timeouts = fields["aws_connect_timeout"].default + fields["aws_read_timeout"].default
    assert RetryPolicy().attempt_timeout_seconds == timeouts


@pytest.mark.parametrize(
    "exc",
    [client_error("ResourceNotFoundException"), client_error("NoSuchBucket", 404)],
    ids=error_id,
)
def test_a_missing_resource_of_our_own_is_a_deployment_fault(exc: ClientError) -> None:
    call = Failing(exc, exc)
    with pytest.raises(ResourceMissing) as raised:
        isolated(lambda: RetryPolicy(sleep=Recorder()).call("dynamodb", "Query", call))
    assert call.calls == 1  # not transient: never repeated
    assert raised.value.retry_after == 30  # an operator has to act


def test_a_missing_ticker_object_is_not_a_deployment_fault() -> None:
    # The ticker cache answers NoSuchKey with its fallback list: it stays a ClientError.
    with pytest.raises(ClientError):
        isolated(lambda: RetryPolicy().call("s3", "GetObject", Failing(client_error("NoSuchKey"))))


def test_a_missing_resource_is_logged_once_until_it_is_back() -> None:
    table = f"table-{uuid.uuid4()}"
    policy = RetryPolicy(sleep=Recorder(), resources={"dynamodb": f"table {table}"})
    missing = client_error("ResourceNotFoundException")

    def fails() -> None:
        with pytest.raises(ResourceMissing):
            isolated(lambda: policy.call("dynamodb", "Query", Failing(missing)))

    with captured_logs() as logs:
        for _ in range(5):
            fails()
        assert len(logs.records("ERROR", mentioning=table)) == 1
        isolated(lambda: policy.call("dynamodb", "Query", Failing()))  # created meanwhile
        isolated(lambda: policy.call("dynamodb", "Query", Failing()))
        assert len(logs.records("WARNING", mentioning=table)) == 1  # "over", once
        fails()  # deleted again: worth a new error
        fails()
    errors = logs.records("ERROR", mentioning=table)
    assert len(errors) == 2
    assert errors[0]["resource"] == f"dynamodb table {table}"
    assert errors[0]["error_code"] == "ResourceNotFoundException"
