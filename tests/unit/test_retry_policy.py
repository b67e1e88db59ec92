"""The retry policy's attempts, backoff and reporting; the deadline is test_retry_deadline.py's.

tenacity's sleep is replaced by a recorder, so nothing here really sleeps.
"""

from __future__ import annotations

import logging
from functools import partial

import pytest
from botocore.exceptions import ClientError

from config_api.domain.errors import DependencyThrottled, DependencyUnavailable
from config_api.observability.context import begin_request
from config_api.retry.policy import RetryPolicy
from tests.support.retry_kit import Failing, Recorder, client_error, isolated


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
    assert "ProvisionedThroughputExceededException" in str(raised.value.cause)  # the log's
    assert "Provisioned" not in raised.value.detail  # the client's: the kind of failure
    assert isinstance(raised.value.__cause__, ClientError)


def test_a_transient_failure_that_clears_returns_the_result() -> None:
    sleep = Recorder()
    call = Failing(client_error("ThrottlingException"), client_error("InternalServerError", 500))
    assert isolated(lambda: RetryPolicy(sleep=sleep).call("dynamodb", "GetItem", call)) == "ok"
    assert call.calls == 3
    assert len(sleep.sleeps) == 2


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
