"""The one retry policy (tenacity); what is worth retrying is classify.py's call.

botocore's own retries are off (see store/clients.py), so this is the only layer that retries:
bounded attempts, full-jitter exponential backoff, and the request's overall deadline.
No attempt starts once the deadline has passed, and no retry starts unless a whole attempt
(connect + read timeout) still fits before it, so a request ends within the deadline plus
at most one attempt (its first call's). What is still failing when the policy gives up
becomes a domain `DependencyError`; everything else (conditions, validation) passes through.
With a `RetryBudget` (budget.py), each attempt's outcome is evidence for its dependency's
circuit, and no retry is made while that circuit is open: one attempt per call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from config_api.domain.errors import (
    DeadlineExceeded,
    DependencyError,
    DependencyThrottled,
    DependencyUnavailable,
    ResourceMissing,
)
from config_api.observability.context import remaining_seconds
from config_api.observability.log import logger
from config_api.retry.budget import Circuit, RetryBudget
from config_api.retry.classify import (
    MISSING_RESOURCE_CODES,
    MISSING_RESOURCE_RETRY_AFTER_SECONDS,
    NAMED_RETRIED,
    Kind,
    classify,
    error_code,
    is_retryable,
    maybe_applied,
)
from config_api.retry.missing import MISSING
from config_api.settings import Settings

T = TypeVar("T")
# What a client reads: the kind of failure. Which call failed, with which AWS error, is the
# exception's `cause`, for the log only.
THROTTLED = "A service this API depends on is throttling it; retry after Retry-After seconds"
UNAVAILABLE = "A service this API depends on is unavailable; retry after Retry-After seconds"
TOO_SLOW = "A service this API depends on did not answer in time; retry after Retry-After seconds"
MISCONFIGURED = "This deployment is misconfigured (a resource of its own is missing); retry later"
OUTCOME_UNKNOWN = (
    "The change may or may not have been applied (a service this API depends on did not "
    "confirm it): read it before retrying, or retry with the same Idempotency-Key"
)
OUT_OF_TIME = "The request ran out of time; retry after Retry-After seconds"
# What is still failing when the policy gives up, by kind.
TRANSLATED: dict[Kind, tuple[type[DependencyError], str]] = {
    "throttle": (DependencyThrottled, THROTTLED),
    "conflict": (DependencyThrottled, THROTTLED),
    "unavailable": (DependencyUnavailable, UNAVAILABLE),
    "connection": (DependencyUnavailable, UNAVAILABLE),
    "timeout": (DeadlineExceeded, TOO_SLOW),
}
# Imported from here by callers and tests.
__all__ = ["NAMED_RETRIED", "RetryPolicy", "classify", "is_retryable", "maybe_applied"]


@dataclass(frozen=True)
class RetryPolicy:
    # 5, not 3: at 30% throttling 3 attempts fail 0.3**3 = 2.7% of calls, 5 fail 0.24%;
    # the short jittered base keeps the extra attempts cheap and the deadline bounds them.
    attempts: int = 5
    base_seconds: float = 0.025
    max_backoff_seconds: float = 4.0
    # The longest one attempt may take: the client's connect + read timeout (the runtime
    # passes the configured ones; this is their default sum). No retry starts without it.
    attempt_timeout_seconds: float = 3.0
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[str, str, int, str], None] | None = None
    # Time left before the current request's deadline (a fake clock in tests).
    remaining: Callable[[], float] = remaining_seconds
    # The process's circuits per dependency; None: retries are never withheld (the baseline).
    budget: RetryBudget | None = None
    # What each dependency's calls reach, named in the log of a deployment fault, e.g.
    # {"dynamodb": "table config-api"}.
    resources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RetryPolicy:
        """The policy RETRY_* and the clients' timeouts describe, for every caller (the API's
        variants, the readiness probe, the operator commands); `overrides` replace fields."""
        from config_api.store.clients import resource_names  # the store names what it reaches

        configured: dict[str, Any] = {
            "attempts": settings.retry_attempts,
            "base_seconds": settings.retry_base_seconds,
            "max_backoff_seconds": settings.retry_max_backoff_seconds,
            "attempt_timeout_seconds": settings.aws_connect_timeout + settings.aws_read_timeout,
            "resources": resource_names(settings),
        }
        return cls(**(configured | overrides))

    def retry_after_seconds(self) -> int:
        """What a client should wait: the backoff the policy itself would use next."""
        backoff = min(self.max_backoff_seconds, self.base_seconds * 2.0**self.attempts)
        return max(1, math.ceil(backoff))

    def call(
        self, dependency: str, operation: str, fn: Callable[[], T], *, idempotent: bool = True
    ) -> T:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            code = error_code(exc)
            logger.warning(
                "aws call retried",
                extra={
                    "dependency": dependency,
                    "operation": operation,
                    "attempt": state.attempt_number,
                    "error_code": code,
                    "sleep_seconds": round(state.upcoming_sleep, 3),
                },
            )
            if self.on_retry:
                self.on_retry(dependency, operation, state.attempt_number, code)

        circuit = self.budget.circuit(dependency) if self.budget else None

        def may_retry(exc: BaseException) -> bool:
            allowed = circuit is None or circuit.retries_allowed()
            return is_retryable(exc, idempotent=idempotent) and allowed

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | _OutOfTime(self),
            wait=wait_random_exponential(
                multiplier=self.base_seconds, max=self.max_backoff_seconds
            ),
            retry=retry_if_exception(may_retry),
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        # The error of an earlier attempt that may have been applied, if there was one: a
        # timeout (the response was lost), or a 5xx of a call that is not repeated.
        uncertain: str | None = None
        failure: Exception | None = None  # the previous attempt's

        def attempt() -> T:
            nonlocal uncertain, failure
            if self.remaining() <= 0:
                # E.g. a later call of a request that has run out of time: not one attempt.
                raise DeadlineExceeded(
                    OUT_OF_TIME,
                    dependency=dependency,
                    retry_after=self.retry_after_seconds(),
                    cause=f"{dependency} {operation}: the deadline passed before the call",
                )
            if failure is not None and circuit is not None and not circuit.retries_allowed():
                raise failure  # the circuit opened while this retry waited: it is not sent
            try:
                result = fn()
            except Exception as exc:
                failure = exc
                if circuit is not None:
                    _witness(circuit, exc)
                repeated = idempotent and classify(exc) != "timeout"
                if uncertain is None and maybe_applied(exc) and not repeated:
                    uncertain = error_code(exc)
                raise
            if circuit is not None:
                circuit.answered()
            return result

        resource = f"{dependency} {self.resources.get(dependency, '')}".strip()
        try:
            result = retrying(attempt)
        except Exception as exc:
            if error_code(exc) in MISSING_RESOURCE_CODES:
                MISSING.seen_missing(resource, operation, error_code(exc))
            translated = self._translate(exc, dependency, operation)
            if uncertain and isinstance(translated, DependencyError):
                # The attempt may have been applied: the outcome is unknown, which is a 504,
                # not a "not done" 429/503 (that would invite a duplicate or a 412 later).
                # An idempotent call's 5xx was repeated instead: what the repeats said stands.
                translated = DeadlineExceeded(
                    OUTCOME_UNKNOWN,
                    dependency=dependency,
                    retry_after=self.retry_after_seconds(),
                    cause=f"{dependency} {operation}: outcome unknown after {uncertain}",
                )
            if translated is exc:
                raise  # not a dependency fault (e.g. a failed condition): the caller decides
            raise translated from exc
        MISSING.seen_present(resource)
        return result

    def _translate(self, exc: Exception, dependency: str, operation: str) -> Exception:
        code = error_code(exc)
        cause = f"{dependency} {operation} failed: {code}"
        if code in MISSING_RESOURCE_CODES:
            return ResourceMissing(
                MISCONFIGURED,
                dependency=dependency,
                retry_after=MISSING_RESOURCE_RETRY_AFTER_SECONDS,
                cause=cause,
            )
        kind = classify(exc)
        if kind is None:
            return exc
        error, detail = TRANSLATED[kind]
        return error(
            detail, dependency=dependency, retry_after=self.retry_after_seconds(), cause=cause
        )


class _OutOfTime(stop_base):
    """Stop when, after the next sleep, a whole attempt no longer fits the deadline."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> bool:
        left = self.policy.remaining() - state.upcoming_sleep
        return left < self.policy.attempt_timeout_seconds


def _witness(circuit: Circuit, exc: Exception) -> None:
    """What a failed attempt says about its dependency: a fault (throttled, 5xx, timeout,
    unreachable), or an answer (a failed condition, a transaction conflict with another
    writer: the dependency works). Anything else (our own bug) says nothing."""
    kind = classify(exc)
    if kind in ("throttle", "unavailable", "timeout", "connection"):
        circuit.failed(error_code(exc))
    elif isinstance(exc, ClientError):
        circuit.answered()
