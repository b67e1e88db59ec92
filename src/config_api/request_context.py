"""Per-request context: correlation id and the overall deadline.

Context variables follow the request into Starlette's thread pool, so the store and the
retry policy see the deadline of the request they serve without it being passed around.
"""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)

# Client-supplied ids are echoed in headers and logs: keep them short and inert.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_correlation_id(supplied: str | None = None) -> str:
    if supplied and _SAFE_ID.match(supplied):
        return supplied
    return str(uuid.uuid4())


def begin_request(correlation_id: str, deadline_seconds: float) -> None:
    _correlation_id.set(correlation_id)
    _deadline.set(time.monotonic() + deadline_seconds)


def correlation_id() -> str | None:
    return _correlation_id.get()


def remaining_seconds() -> float:
    """Time left before the request's deadline (infinite outside a request, e.g. the CLI)."""
    deadline = _deadline.get()
    return float("inf") if deadline is None else deadline - time.monotonic()
