"""The retry budget's circuit as a state machine, on a fake clock (nothing here waits).

closed → open after `failures_to_open` failed attempts in a row with no answer between;
open → closed on the first answer, or when no attempt has failed for the window.
"""

from __future__ import annotations

import logging
import threading

import pytest

from config_api.retry.budget import Change, Circuit, RetryBudget

FAILURES, WINDOW = 5, 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[Change]:
    return []


@pytest.fixture
def budget(clock: Clock, changes: list[Change]) -> RetryBudget:
    return RetryBudget(
        failures_to_open=FAILURES, window_seconds=WINDOW, clock=clock, on_change=changes.append
    )


def state(circuit: Circuit) -> str:
    """The circuit's state now (a function: the property's value changes between reads)."""
    return circuit.state


def fail(circuit: Circuit, times: int, code: str = "ThrottlingException") -> None:
    for _ in range(times):
        circuit.failed(code)


def test_closed_until_the_threshold_of_failures_in_a_row(
    budget: RetryBudget, changes: list[Change]
) -> None:
    circuit = budget.circuit("dynamodb")
    fail(circuit, FAILURES - 1)
    assert state(circuit) == "closed" and circuit.retries_allowed()
    assert changes == []
    circuit.failed("ProvisionedThroughputExceededException")
    assert state(circuit) == "open" and not circuit.retries_allowed()
    assert changes == [
        Change("dynamodb", "open", "ProvisionedThroughputExceededException", FAILURES)
    ]
    fail(circuit, 3)  # more failures while open: no further change
    assert len(changes) == 1


def test_an_answer_between_failures_restarts_the_run(budget: RetryBudget) -> None:
    circuit = budget.circuit("dynamodb")
    for _ in range(10):  # 80% of attempts failing, but never FAILURES in a row
        fail(circuit, FAILURES - 1)
        circuit.answered()
    assert state(circuit) == "closed"
    fail(circuit, FAILURES)
    assert state(circuit) == "open"


def test_the_first_answer_closes_an_open_circuit(
    budget: RetryBudget, clock: Clock, changes: list[Change]
) -> None:
    circuit = budget.circuit("dynamodb")
    fail(circuit, FAILURES)
    clock.now += 2.5
    fail(circuit, 7)  # calls failing fast, one attempt each
    circuit.answered()
    assert state(circuit) == "closed" and circuit.retries_allowed()
    assert changes[-1] == Change(
        "dynamodb", "closed", "answered", FAILURES + 7, open_seconds=2.5, failed_while_open=7
    )
    # Closed means a fresh run: it takes the whole threshold again to open.
    fail(circuit, FAILURES - 1)
    assert state(circuit) == "closed"


def test_failures_older_than_the_window_are_forgotten(budget: RetryBudget, clock: Clock) -> None:
    circuit = budget.circuit("s3")
    for _ in range(3):  # one failure short, three times, each after a quiet window
        fail(circuit, FAILURES - 1)
        clock.now += WINDOW + 0.001
    assert state(circuit) == "closed"
    fail(circuit, FAILURES - 1)
    clock.now += WINDOW  # not yet older than the window: the run goes on
    circuit.failed("SlowDown")
    assert state(circuit) == "open"


def test_a_quiet_window_closes_an_open_circuit(
    budget: RetryBudget, clock: Clock, changes: list[Change]
) -> None:
    circuit = budget.circuit("dynamodb")
    fail(circuit, FAILURES + 2)
    clock.now += WINDOW
    assert state(circuit) == "open"
    clock.now += 0.5
    assert circuit.retries_allowed()
    assert changes[-1] == Change(
        "dynamodb", "closed", "quiet", FAILURES + 2, open_seconds=WINDOW + 0.5, failed_while_open=2
    )
    fail(circuit, FAILURES - 1)
    assert state(circuit) == "closed"


def test_each_dependency_has_its_own_circuit(budget: RetryBudget) -> None:
    fail(budget.circuit("dynamodb"), FAILURES)
    assert state(budget.circuit("dynamodb")) == "open"
    assert state(budget.circuit("s3")) == "closed"
    assert budget.circuit("dynamodb") is budget.circuit("dynamodb")


def test_state_changes_are_logged(budget: RetryBudget, caplog: pytest.LogCaptureFixture) -> None:
    circuit = budget.circuit("dynamodb")
    with caplog.at_level(logging.INFO):
        fail(circuit, FAILURES, "InternalServerError")
        circuit.answered()
    records = [r for r in caplog.records if r.getMessage().startswith("retry circuit")]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "retry circuit opened: one attempt per call"),
        ("INFO", "retry circuit closed: retries allowed"),
    ]
    opened, closed = (vars(r) for r in records)
    assert (opened["dependency"], opened["reason"], opened["failed_in_a_row"]) == (
        "dynamodb",
        "InternalServerError",
        FAILURES,
    )
    assert (closed["reason"], closed["failed_while_open"]) == ("answered", 0)


def test_concurrent_failures_open_it_exactly_once(
    budget: RetryBudget, changes: list[Change]
) -> None:
    circuit = budget.circuit("dynamodb")
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        fail(circuit, 50)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [c.state for c in changes] == ["open"]
    assert changes[0].failed_in_a_row == FAILURES


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryBudget(failures_to_open=0)
