"""What the retry policy's unit tests feed it: botocore errors built by hand, calls that fail
on cue, and time that only moves when the policy sleeps or an attempt runs (nothing sleeps).

Each policy call runs in a copied context (`isolated`), so a deadline a test sets with
`begin_request` never leaks into the next test.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from config_api.observability.context import remaining_seconds

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


def error_id(exc: BaseException) -> str:
    """A readable pytest id for an error."""
    if isinstance(exc, ClientError):
        reasons = [r["Code"] for r in exc.response.get("CancellationReasons", [])]
        return exc.response["Error"]["Code"] + (f"{reasons}" if reasons else "")
    return type(exc).__name__


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


class FakeClock:
    """A request's time: `deadline` seconds from 0, moved on by sleeps and attempts only.

    Give the policy `sleep=clock.sleep, remaining=clock.remaining`.
    """

    def __init__(self, deadline: float) -> None:
        self.now = 0.0
        self.deadline = deadline
        self.sleeps: list[float] = []

    def remaining(self) -> float:
        return self.deadline - self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Slow:
    """A call whose attempts each take `seconds` of the clock's time, then raise `error` (or
    return "ok" when there is none); records when each attempt started."""

    def __init__(self, clock: FakeClock, seconds: float, error: BaseException | None) -> None:
        self.clock, self.seconds, self.error = clock, seconds, error
        self.starts: list[float] = []

    def __call__(self) -> str:
        self.starts.append(self.clock.now)
        self.clock.now += self.seconds
        if self.error is not None:
            raise self.error
        return "ok"
