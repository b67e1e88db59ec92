"""Domain exceptions. They know nothing about HTTP: `error_map` turns them into responses.

Errors flow one way: the store and the ticker cache raise these, the service lets them
through (or raises its own), and the error map is the only place that picks a status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def shown(text: str, limit: int = 64) -> str:
    """Client input as it goes into a detail read by people: odd input shows escaped (repr),
    never as raw control/bidi text, and long input truncated."""
    cut = text[:limit]
    if cut.isprintable():
        return cut if cut == text else f"{cut}..."
    return repr(cut) if cut == text else f"{cut!r}..."


class ConfigApiError(Exception):
    """Base of every error the service expects and maps to a precise response.

    The first paragraph of each subclass's docstring is what the OpenAPI document says
    about it (api/responses.py): written for the API's users.
    """

    code: str = "error"
    # Seconds a client should wait before trying again (the Retry-After header), if known.
    retry_after: int | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class FieldError:
    """One offending input field: `loc` is the path, e.g. ("body", "tickers", 2)."""

    loc: tuple[str | int, ...]
    message: str
    type: str = "value_error"
    extra: dict[str, Any] = field(default_factory=dict)


class InvalidInput(ConfigApiError):
    """Invalid input; `errors` names every offending field."""

    code = "invalid_input"

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


@dataclass(frozen=True)
class InvalidSymbol:
    """Why one ticker symbol was rejected; `successor` is set for delisted/renamed symbols."""

    index: int
    symbol: str
    reason: str  # "unknown" | "delisted" | "duplicate" | "malformed"
    successor: str | None = None


class InvalidTickers(InvalidInput):
    """A ticker symbol is unknown, delisted (`successor` names its new symbol), duplicated or
    malformed; `errors` names each one."""

    code = "invalid_tickers"

    def __init__(self, invalid: list[InvalidSymbol]) -> None:
        self.invalid = invalid
        errors = [
            FieldError(
                loc=("body", "tickers", bad.index),
                message=describe_invalid_symbol(bad),
                type=f"ticker_{bad.reason}",
                extra={
                    "symbol": bad.symbol,
                    **({"successor": bad.successor} if bad.successor else {}),
                },
            )
            for bad in invalid
        ]
        names = ", ".join(shown(b.symbol) for b in invalid)
        super().__init__(f"Invalid ticker symbol(s): {names}", errors)


def describe_invalid_symbol(bad: InvalidSymbol) -> str:
    if bad.reason == "delisted":
        tail = f"; use {bad.successor}" if bad.successor else ""
        return f"{bad.symbol} is delisted{tail}"
    if bad.reason == "duplicate":
        return f"{bad.symbol} appears more than once"
    if bad.reason == "malformed":
        return f"{bad.symbol!r} is not a well-formed ticker symbol"
    return f"{bad.symbol} is not a known US-listed symbol"


class Unauthenticated(ConfigApiError):
    """Missing, invalid or expired bearer token."""

    code = "unauthenticated"


class RolloutReadOnly(ConfigApiError):
    """The rollout flag's rules come from a source this process cannot change (AppConfig,
    or any source in Lambda, where a change would reach one container only)."""

    code = "rollout_read_only"


class ConfigurationNotFound(ConfigApiError):
    """No such configuration for this user."""

    code = "configuration_not_found"

    def __init__(self, config_id: str) -> None:
        super().__init__(f"Configuration {shown(config_id)} was not found")
        self.config_id = config_id[:64]


class NotAvailableHere(ConfigApiError):
    """Not offered by this deployment (answered as if the route did not exist).

    E.g. /metrics in Lambda, the admin call without ADMIN_TOKEN.
    """

    code = "not_found"

    def __init__(self, detail: str = "Not Found") -> None:
        super().__init__(detail)


class LimitReached(ConfigApiError):
    """The configuration limit is reached (`max_allowed`, `current_count`)."""

    code = "configuration_limit_reached"

    def __init__(self, max_allowed: int, current_count: int) -> None:
        super().__init__(
            f"You already have {current_count} configurations; the maximum is {max_allowed}. "
            "Delete one before creating another."
        )
        self.max_allowed = max_allowed
        self.current_count = current_count


class VersionMismatch(ConfigApiError):
    """If-Match no longer matches the stored version (optimistic concurrency)."""

    code = "precondition_failed"


class IdempotencyKeyReused(ConfigApiError):
    """The same Idempotency-Key was sent with a different request body."""

    code = "idempotency_key_reused"


class IdempotencyInProgress(ConfigApiError):
    """A request with the same Idempotency-Key is still being processed."""

    code = "idempotency_in_progress"
    # The twin is one DynamoDB transaction from done: a second later the retry is a replay.
    retry_after = 1


class DependencyError(ConfigApiError):
    """A service this API depends on failed after retries; see Retry-After.

    `retry_after` (seconds) is what the retry policy thinks a client should wait. `detail`
    says the kind of failure, for the client; `cause` (which call, which AWS error code) is
    for the log only: backend internals never go into a response.
    """

    code = "dependency_error"

    def __init__(
        self,
        detail: str,
        *,
        dependency: str,
        retry_after: int | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.dependency = dependency
        self.retry_after = retry_after
        self.cause = cause

    def __str__(self) -> str:
        # What logs print of it (the ticker cache's, the deleted users'): with the cause.
        return f"{self.detail} [{self.cause}]" if self.cause else self.detail


class DependencyThrottled(DependencyError):
    """Throttled by a service this API depends on, after retries; see Retry-After."""

    code = "throttled"


class DependencyUnavailable(DependencyError):
    """A service this API depends on is unavailable, after retries; see Retry-After."""

    code = "service_unavailable"


class ResourceMissing(DependencyUnavailable):
    """The deployment is misconfigured (a resource of its own is missing); see Retry-After.

    A deployment fault (a wrong TABLE_NAME, a deleted table or bucket), not a transient one.
    """


class DeadlineExceeded(DependencyError):
    """The request's deadline passed, or its outcome is unknown (it may have been applied);
    see Retry-After."""

    code = "deadline_exceeded"


class BodyTooLarge(ConfigApiError):
    """The request body is larger than the limit."""

    code = "body_too_large"


class UnsupportedMediaType(ConfigApiError):
    """The request body is not JSON (application/json or application/merge-patch+json)."""

    code = "unsupported_media_type"
