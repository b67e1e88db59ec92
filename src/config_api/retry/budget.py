"""The retry budget: one circuit per dependency (DynamoDB, S3), kept in the process.

It decides one thing for the retry policy: may a failed call be retried? Every call always
makes its first attempt; while a dependency is evidently down, that attempt is the only one.

The model. Each circuit counts the attempts that failed in a row (throttled, 5xx, timed out,
unreachable) with no answer from the dependency in between, process-wide:

- **closed** (retries allowed) until `failures_to_open` attempts have failed in a row;
- **open** (one attempt per call, no retries) from then on. Each of those single attempts is
  a probe: the first answer from the dependency closes the circuit at once;
- evidence expires: when no attempt has failed for `window_seconds`, the run starts again
  from 0 and an open circuit closes (a quiet process retries again rather than trust a
  failure it saw long ago).

Why a run and not a failure rate: at 50% random throttling half of all attempts fail, yet
each call still succeeds with probability 1 - 0.5**5 = 97% if it may retry; a rate threshold
would cut exactly those retries (the AWS SDKs' retry quota drains the same way at 30%).
Independent faults at rate p make 15 failures in a row with probability p**15: 3e-5 at 50%,
1e-8 at 30%. A persistent outage makes them in 3 calls. And a wrong trip costs little: the
next call still makes its attempt, and the first success closes the circuit.

Hand-rolled (~100 lines) because the circuit-breaker libraries implement the other model:
pybreaker, purgatory and circuitbreaker reject calls outright while open (no attempt, so no
answer can close the circuit until a reset timeout), read the wall clock, and pybreaker holds
its lock around the guarded call, which would serialize every DynamoDB call of a server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from config_api.observability.log import logger

State = Literal["closed", "open"]


@dataclass(frozen=True)
class Change:
    """A circuit changed state: what the log line and the metric say."""

    dependency: str
    state: State
    # opened: the failures in a row and the last one's error code. closed: why ("answered",
    # "quiet"), how long it was open and how many attempts failed fast meanwhile.
    reason: str
    failed_in_a_row: int
    open_seconds: float = 0.0
    failed_while_open: int = 0


class Circuit:
    """One dependency's circuit. Thread-safe: every request thread of the process shares it."""

    def __init__(
        self,
        dependency: str,
        *,
        failures_to_open: int,
        window_seconds: float,
        clock: Callable[[], float],
        on_change: Callable[[Change], None],
    ) -> None:
        self.dependency = dependency
        self._failures_to_open = failures_to_open
        self._window = window_seconds
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._failed_in_a_row = 0
        self._last_failure_at = 0.0
        self._opened_at: float | None = None
        self._failed_while_open = 0

    @property
    def state(self) -> State:
        with self._lock:
            state, change = self._expire(self._clock())
        self._report(change)
        return state

    def retries_allowed(self) -> bool:
        return self.state == "closed"

    def answered(self) -> None:
        """An attempt got an answer (a result, or an error that is not a dependency fault)."""
        with self._lock:
            change = None if self._opened_at is None else self._close("answered", self._clock())
            self._failed_in_a_row = 0
        self._report(change)

    def failed(self, error_code: str) -> None:
        """An attempt failed with a dependency fault (throttled, 5xx, timeout, unreachable)."""
        with self._lock:
            now = self._clock()
            _, change = self._expire(now)
            self._failed_in_a_row += 1
            self._last_failure_at = now
            if self._opened_at is not None:
                self._failed_while_open += 1
            elif self._failed_in_a_row >= self._failures_to_open:
                self._opened_at, self._failed_while_open = now, 0
                change = Change(self.dependency, "open", error_code, self._failed_in_a_row)
        self._report(change)

    def _expire(self, now: float) -> tuple[State, Change | None]:
        """Forget failures older than the window (under the lock)."""
        change = None
        if self._failed_in_a_row and now - self._last_failure_at > self._window:
            if self._opened_at is not None:
                change = self._close("quiet", now)
            self._failed_in_a_row = 0
        return ("open" if self._opened_at is not None else "closed"), change

    def _close(self, reason: str, now: float) -> Change:
        assert self._opened_at is not None
        change = Change(
            self.dependency,
            "closed",
            reason,
            self._failed_in_a_row,
            open_seconds=now - self._opened_at,
            failed_while_open=self._failed_while_open,
        )
        self._opened_at = None
        return change

    def _report(self, change: Change | None) -> None:
        # Outside the lock: logging and metrics must not hold up other requests' calls.
        if change is None:
            return
        fields = {
            "dependency": change.dependency,
            "reason": change.reason,
            "failed_in_a_row": change.failed_in_a_row,
        }
        if change.state == "open":
            logger.warning("retry circuit opened: one attempt per call", extra=fields)
        else:
            fields |= {
                "open_seconds": round(change.open_seconds, 3),
                "failed_while_open": change.failed_while_open,
            }
            logger.info("retry circuit closed: retries allowed", extra=fields)
        self._on_change(change)


class RetryBudget:
    """The circuits of one process, one per dependency name, made on first use."""

    def __init__(
        self,
        *,
        failures_to_open: int = 15,
        window_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[Change], None] = lambda change: None,
    ) -> None:
        if failures_to_open < 1:
            raise ValueError("failures_to_open must be at least 1")
        self._settings = (failures_to_open, window_seconds)
        self._clock = clock
        self._on_change = on_change
        self._circuits: dict[str, Circuit] = {}
        self._lock = threading.Lock()

    def circuit(self, dependency: str) -> Circuit:
        with self._lock:
            if dependency not in self._circuits:
                failures, window = self._settings
                self._circuits[dependency] = Circuit(
                    dependency,
                    failures_to_open=failures,
                    window_seconds=window,
                    clock=self._clock,
                    on_change=self._on_change,
                )
            return self._circuits[dependency]
