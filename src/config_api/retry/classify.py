"""How AWS errors are classified: transient (worth another attempt) or not, and which kind.

DynamoDB leaves part of a BatchWriteItem undone under load and names it in the response
(`UnprocessedItems`) instead of failing: `UnprocessedItems` (the exception) lets the one retry
policy repeat such a batch like a throttled call, with the same backoff and attempts.
"""

from __future__ import annotations

from typing import Literal

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

Kind = Literal["throttle", "unavailable", "conflict", "timeout", "connection"]

THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
UNAVAILABLE_CODES = frozenset(
    {"InternalServerError", "ServiceUnavailable", "InternalError", "RequestTimeout", "503"}
)
# TransactionInProgress: a retry reached DynamoDB while the attempt with the same client
# token is still running; retrying is what completes it (AWS's recommendation).
CONFLICT_CODES = frozenset(
    {"TransactionConflict", "TransactionConflictException", "TransactionInProgressException"}
)
# Our own table or bucket does not exist: a deployment fault, not transient (classify says
# None: never retried) and not the client's fault. A missing ticker *object* (NoSuchKey) is
# not one: the ticker cache answers it with its fallback list.
MISSING_RESOURCE_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket"})
# An operator has to act: clients need not come back within seconds.
MISSING_RESOURCE_RETRY_AFTER_SECONDS = 30
# Every error the policy retries by name (a 5xx may carry any code: it is retried too).
NAMED_RETRIED = (
    THROTTLE_CODES
    | UNAVAILABLE_CODES
    | CONFLICT_CODES
    | {"TransactionCanceledException"}
    | {e.__name__ for e in (ConnectTimeoutError, EndpointConnectionError)}
    | {e.__name__ for e in (ReadTimeoutError, ConnectionClosedError)}
)
# Per-item codes in a TransactionCanceledException's CancellationReasons: they are named
# differently from the operation-level errors ("ThrottlingError", no "Exception" suffix).
TRANSIENT_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"}
)


class UnprocessedItems(Exception):
    """Part of a batch write was not processed (throttled): send that part again."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} item(s) unprocessed")


def classify(exc: BaseException) -> Kind | None:
    """The transient kind of an AWS error, or None when retrying cannot help."""
    if isinstance(exc, UnprocessedItems):
        return "throttle"
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLE_CODES:
            return "throttle"
        if code in UNAVAILABLE_CODES:
            return "unavailable"
        if code in CONFLICT_CODES:
            return "conflict"
        if code == "TransactionCanceledException":
            reasons = {r.get("Code") for r in exc.response.get("CancellationReasons", [])}
            reasons.discard("None")
            reasons.discard(None)
            # Only a cancellation caused purely by conflicts/throttling is worth repeating;
            # a failed condition is an answer, not a fault.
            if reasons and reasons <= TRANSIENT_CANCELLATION_CODES:
                return "conflict"
        return "unavailable" if status_of(exc) >= 500 else None
    if isinstance(exc, ConnectTimeoutError | EndpointConnectionError):
        return "connection"  # the request never reached the service: always safe to repeat
    if isinstance(exc, ReadTimeoutError | ConnectionClosedError):
        return "timeout"
    return None


def maybe_applied(exc: BaseException) -> bool:
    """Whether a failed attempt may still have been applied: its response was lost (a read
    timeout, a dropped connection), or the service failed while processing it (a 5xx:
    DynamoDB's InternalServerError "may or may not have succeeded"). A throttle or a connection
    that never reached the service was refused before anything happened."""
    kind = classify(exc)
    if kind == "timeout":
        return True
    return kind == "unavailable" and status_of(exc) >= 500


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if not idempotent and maybe_applied(exc):
        return False  # a repeat could apply it twice (e.g. a second version bump: 412)
    return classify(exc) is not None


def error_code(exc: BaseException | None) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "Unknown"))
    return type(exc).__name__ if exc else "None"


def status_of(exc: BaseException) -> int:
    if not isinstance(exc, ClientError):
        return 0
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
