"""The retry policy with a retry budget: what each attempt tells the circuit, and how many
attempts a call gets. Sleeps are recorded, not slept; the budget's clock stands still."""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from config_api.domain.errors import DependencyThrottled
from config_api.observability.metrics import Metrics
from config_api.retry.budget import Change, RetryBudget
from config_api.retry.policy import RetryPolicy
from config_api.rollout.variants import baseline, resilient
from config_api.settings import Settings
from config_api.store.clients import dynamodb_client, s3_client
from tests.support.retry_kit import URL, Failing, Recorder, client_error, isolated

THROTTLED = client_error("ProvisionedThroughputExceededException")


def make(
    changes: list[Change] | None = None, sleep: Callable[[float], None] | None = None
) -> RetryPolicy:
    """The default policy (5 attempts) and budget (open after 15 failures in a row)."""
    defaults = Settings()
    budget = RetryBudget(
        failures_to_open=defaults.retry_circuit_failures,
        window_seconds=defaults.retry_circuit_window_seconds,
        clock=lambda: 0.0,
        on_change=(changes if changes is not None else []).append,
    )
    return RetryPolicy(attempts=defaults.retry_attempts, sleep=sleep or Recorder(), budget=budget)


def attempts_of(policy: RetryPolicy, call: Failing, operation: str = "PutItem") -> int:
    before = call.calls
    # It raises a DependencyError, or the dependency's own answer (a failed condition).
    with contextlib.suppress(Exception):
        isolated(lambda: policy.call("dynamodb", operation, call))
    return call.calls - before


def test_persistent_throttling_gets_one_attempt_per_call_once_open() -> None:
    changes: list[Change] = []
    policy = make(changes)
    call = Failing(*[THROTTLED] * 100)
    # 3 calls of 5 attempts make the 15 failures in a row; then one attempt per call.
    assert [attempts_of(policy, call) for _ in range(6)] == [5, 5, 5, 1, 1, 1]
    assert [(c.dependency, c.state, c.reason) for c in changes] == [
        ("dynamodb", "open", "ProvisionedThroughputExceededException")
    ]
    with pytest.raises(DependencyThrottled) as raised:  # still the right error, fast
        isolated(lambda: policy.call("dynamodb", "PutItem", call))
    assert raised.value.retry_after == policy.retry_after_seconds() == 1


def test_the_first_answer_closes_it_and_retries_resume() -> None:
    changes: list[Change] = []
    policy = make(changes)
    for _ in range(3):
        attempts_of(policy, Failing(*[THROTTLED] * 5))
    assert [c.state for c in changes] == ["open"]
    assert attempts_of(policy, Failing()) == 1  # the dependency answers: 201
    assert [(c.state, c.reason) for c in changes][1:] == [("closed", "answered")]
    assert attempts_of(policy, Failing(*[THROTTLED] * 5)) == 5


@pytest.mark.parametrize(
    "fault",
    [
        client_error("InternalServerError", 500),
        client_error("SlowDown", 503),
        ReadTimeoutError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
    ],
    ids=["500", "503", "read-timeout", "connect-timeout"],
)
def test_every_dependency_fault_counts(fault: Exception) -> None:
    changes: list[Change] = []
    policy = make(changes)
    for _ in range(3):
        attempts_of(policy, Failing(*[fault] * 5), "GetItem")
    assert [c.state for c in changes] == ["open"]


@pytest.mark.parametrize(
    "answer",
    [
        client_error("ConditionalCheckFailedException"),
        client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed"]),
        client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"]),
    ],
    ids=["condition", "cancelled-by-condition", "conflict"],
)
def test_an_error_answered_by_the_dependency_closes_it(answer: Exception) -> None:
    changes: list[Change] = []
    policy = make(changes)
    for _ in range(3):
        attempts_of(policy, Failing(*[THROTTLED] * 5))
    attempts_of(policy, Failing(answer, *[THROTTLED] * 4))
    assert [c.state for c in changes] == ["open", "closed"]


def test_an_error_of_our_own_says_nothing_about_the_dependency() -> None:
    changes: list[Change] = []
    policy = make(changes)
    for _ in range(3):
        attempts_of(policy, Failing(*[THROTTLED] * 5))
    with pytest.raises(KeyError):
        isolated(lambda: policy.call("dynamodb", "PutItem", Failing(KeyError("bug"))))
    assert [c.state for c in changes] == ["open"]


def test_a_retry_waiting_when_the_circuit_opens_is_not_sent() -> None:
    # While this call sleeps before its 2nd attempt, other calls make the run of failures.
    budget_holder: list[RetryPolicy] = []

    def others_fail(_: float) -> None:
        circuit = budget_holder[0].budget.circuit("dynamodb")  # type: ignore[union-attr]
        for _ in range(15):
            circuit.failed("ThrottlingException")

    policy = make(sleep=others_fail)
    budget_holder.append(policy)
    call = Failing(*[THROTTLED] * 5)
    with pytest.raises(DependencyThrottled):
        isolated(lambda: policy.call("dynamodb", "PutItem", call))
    assert call.calls == 1


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_random_faults_keep_being_retried(rate: float) -> None:
    """Seeded dice: 2,000 calls at 10/30/50% throttling never open the circuit, so every call
    keeps its 5 attempts (a failure-rate threshold at 50% would cut them)."""
    dice = random.Random(16)
    changes: list[Change] = []
    policy = make(changes)

    def flaky() -> str:
        if dice.random() < rate:
            raise THROTTLED
        return "ok"

    failed = 0
    for _ in range(2000):
        try:
            isolated(lambda: policy.call("dynamodb", "PutItem", flaky))
        except DependencyThrottled:
            failed += 1
    assert changes == []
    assert failed <= 2000 * rate**5 * 2 + 3  # what 5 attempts give: 0.5**5 = 3.1%


def test_without_a_budget_nothing_changes() -> None:
    policy = RetryPolicy(sleep=Recorder())
    for _ in range(5):
        assert attempts_of(policy, Failing(*[THROTTLED] * 5)) == 5


def test_the_resilient_variant_exports_state_changes_to_prometheus_and_emf(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(aws_endpoint_url="http://127.0.0.1:9", jwt_secret="x" * 32)
    metrics = Metrics(emf_namespace="ConfigApiTest")  # as in Lambda; Prometheus is always fed
    db, s3 = dynamodb_client(settings), s3_client(settings)
    policy = resilient(settings, db, s3, metrics).policy
    assert baseline(settings, db, s3, metrics).policy.budget is None  # attempts=1, no budget
    quick = replace(policy, sleep=Recorder())
    for _ in range(3):
        attempts_of(quick, Failing(*[THROTTLED] * 5))
    attempts_of(quick, Failing())
    text = metrics.prometheus()[0].decode()
    for state in ("open", "closed"):
        labels = f'dependency="dynamodb",state="{state}",variant="resilient"'
        assert f"config_api_retry_circuit_changes_total{{{labels}}} 1.0" in text
    metrics.flush()
    (blob,) = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert blob["RetryCircuitChanges"] == [1.0, 1.0]


def test_the_budget_can_be_turned_off() -> None:
    settings = Settings(retry_circuit_failures=0, jwt_secret="x" * 32)
    db, s3 = dynamodb_client(settings), s3_client(settings)
    assert resilient(settings, db, s3, Metrics()).policy.budget is None


def test_the_resilient_variant_s_budget_follows_its_settings() -> None:
    """RETRY_CIRCUIT_FAILURES and RETRY_CIRCUIT_WINDOW_SECONDS as the wiring passes them: a
    hard-coded 15, or a window that ignored its setting, would fail this. resilient() gives the
    budget the real clock, so the window is real: 1 s, long enough that no stall of a busy
    machine between two attempts outlasts it, short enough for a unit test."""
    window = 1.0
    settings = Settings(
        retry_circuit_failures=3,
        retry_circuit_window_seconds=window,
        aws_endpoint_url="http://127.0.0.1:9",
        jwt_secret="x" * 32,
    )
    db, s3 = dynamodb_client(settings), s3_client(settings)
    policy = replace(resilient(settings, db, s3, Metrics()).policy, sleep=Recorder())
    call = Failing(*[THROTTLED] * 100)
    assert attempts_of(replace(policy, attempts=2), call) == 2  # 2 failures in a row
    time.sleep(window * 1.2)
    # Those 2 are forgotten: 3 more attempts fail before it opens, then one per call.
    assert [attempts_of(policy, call) for _ in range(3)] == [3, 1, 1]
