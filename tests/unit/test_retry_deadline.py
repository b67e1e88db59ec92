"""The request deadline bounds the AWS calls themselves, not just the sleeps between them.

No attempt starts once the deadline has passed, and a retry starts only while a whole
attempt (connect + read timeout) still fits before it: a request ends within its deadline
plus at most one attempt, the first of the call that was running when time ran out. Time
is a fake clock (tests/support/retry_kit.py) that sleeps and attempts move on: nothing
here really waits, and the bounds are checked exactly.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from config_api.domain.errors import DeadlineExceeded, DependencyError, DependencyThrottled
from config_api.observability.context import begin_request
from config_api.retry.policy import RetryPolicy
from tests.support.retry_kit import URL, Failing, FakeClock, Slow, client_error, isolated

THROTTLED = client_error("ProvisionedThroughputExceededException")


def policy_on(
    clock: FakeClock,
    *,
    attempts: int = 5,
    base_seconds: float = 0.025,
    attempt_timeout_seconds: float = 3.0,
) -> RetryPolicy:
    return RetryPolicy(
        attempts=attempts,
        base_seconds=base_seconds,
        attempt_timeout_seconds=attempt_timeout_seconds,
        sleep=clock.sleep,
        remaining=clock.remaining,
    )


@pytest.mark.parametrize("deadline", [0.0, -0.001, -5.0])
def test_no_attempt_starts_once_the_deadline_has_passed(deadline: float) -> None:
    clock = FakeClock(deadline)
    call = Slow(clock, 0.1, None)
    policy = policy_on(clock)
    with pytest.raises(DeadlineExceeded) as raised:
        policy.call("dynamodb", "GetItem", call)
    assert call.starts == []
    assert raised.value.cause == "dynamodb GetItem: the deadline passed before the call"
    assert raised.value.retry_after == policy.retry_after_seconds()


def test_the_request_s_own_deadline_is_the_default_clock() -> None:
    call = Failing()

    def in_request() -> str:
        begin_request("cid-expired", 0.0)
        return RetryPolicy(sleep=lambda _: None).call("dynamodb", "PutItem", call)

    with pytest.raises(DeadlineExceeded):
        isolated(in_request)
    assert call.calls == 0


def test_a_later_call_of_a_request_out_of_time_makes_no_attempt() -> None:
    clock = FakeClock(10.0)
    policy = policy_on(clock)
    # The first call's one attempt started in time and ran past the deadline, as one may.
    slow = Slow(clock, 10.5, None)
    assert policy.call("dynamodb", "GetItem", slow) == "ok"
    later = Slow(clock, 0.1, None)
    with pytest.raises(DeadlineExceeded):
        policy.call("dynamodb", "UpdateItem", later)
    assert later.starts == []
    assert clock.now == 10.5


def test_a_retry_starts_only_if_a_whole_attempt_fits_before_the_deadline() -> None:
    # Attempts that each run their full 3 s: at 0, ~3 and ~6 s; one at ~9 s could end at
    # ~12 s, past the 10 s deadline, so the policy stops with attempts to spare.
    clock = FakeClock(10.0)
    call = Slow(clock, 3.0, THROTTLED)
    policy = policy_on(clock, attempts=10, attempt_timeout_seconds=3.0)
    with pytest.raises(DependencyThrottled):  # what the last attempt said stands
        policy.call("dynamodb", "Query", call)
    assert len(call.starts) == 3, call.starts
    assert all(start + 3.0 <= 10.0 for start in call.starts)
    assert clock.now <= 10.0


def test_after_a_timed_out_attempt_the_deadline_leaves_the_outcome_unknown() -> None:
    clock = FakeClock(5.0)
    call = Slow(clock, 2.0, ReadTimeoutError(endpoint_url=URL))
    policy = policy_on(clock, attempts=10, attempt_timeout_seconds=2.0)
    with pytest.raises(DeadlineExceeded) as raised:
        policy.call("dynamodb", "TransactWriteItems", call)
    assert len(call.starts) == 2  # at 0 and ~2 s; one at ~4 s would end past 5 s
    assert "outcome unknown" in str(raised.value.cause)


ERRORS = [
    THROTTLED,
    client_error("InternalServerError", 500),
    client_error("TransactionConflict"),
    ReadTimeoutError(endpoint_url=URL),
]


@given(
    deadline=st.floats(0.001, 30.0),
    attempt_timeout=st.floats(0.01, 5.0),
    share=st.floats(0.0, 1.0),  # of the attempt timeout each attempt really takes
    attempts=st.integers(1, 10),
    base=st.floats(0.001, 2.0),
    error=st.sampled_from(ERRORS),
    idempotent=st.booleans(),
)
def test_the_deadline_bounds_every_call(
    deadline: float,
    attempt_timeout: float,
    share: float,
    attempts: int,
    base: float,
    error: Exception,
    idempotent: bool,
) -> None:
    clock = FakeClock(deadline)
    call = Slow(clock, share * attempt_timeout, error)
    policy = policy_on(
        clock, attempts=attempts, base_seconds=base, attempt_timeout_seconds=attempt_timeout
    )
    with pytest.raises(DependencyError):
        policy.call("dynamodb", "UpdateItem", call, idempotent=idempotent)
    assert 1 <= len(call.starts) <= attempts
    assert all(start < deadline for start in call.starts)  # no attempt after the deadline
    slack = 1e-9  # float rounding in the clock's sums
    # Every retry could run its whole attempt time and still end by the deadline ...
    assert all(start + attempt_timeout <= deadline + slack for start in call.starts[1:])
    # ... so only the first attempt may end past it.
    assert clock.now <= max(deadline, call.seconds) + slack
