"""Per-request context: correlation id, the overall deadline, the variant serving it.

Context variables follow the request into Starlette's thread pool, so the store and the
retry policy see the deadline of the request they serve without it being passed around.
The thread pool runs with a *copy* of the context, so what a route learns (the variant)
goes into a mutable holder created per request, which the middleware reads afterwards.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@dataclass
class _RequestState:
    variant: str = "none"


_state: ContextVar[_RequestState | None] = ContextVar("request_state", default=None)

# Client-supplied ids are echoed in headers and logs: keep them short and inert.
# fullmatch, not match with `$`: `$` also matches before a trailing newline.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def new_correlation_id(supplied: str | None = None) -> str:
    if supplied and _SAFE_ID.fullmatch(supplied):
        return supplied
    return str(uuid.uuid4())


def begin_request(correlation_id: str, deadline_seconds: float) -> None:
    _correlation_id.set(correlation_id)
    _deadline.set(time.monotonic() + deadline_seconds)
    _state.set(_RequestState())


def set_variant(name: str) -> None:
    """Record which variant serves the current request (no-op outside a request)."""
    state = _state.get()
    if state is not None:
        state.variant = name


def variant() -> str:
    """The variant serving the current request; "none" before one was chosen."""
    state = _state.get()
    return "none" if state is None else state.variant


def correlation_id() -> str | None:
    return _correlation_id.get()


def remaining_seconds() -> float:
    """Time left before the request's deadline (infinite outside a request, e.g. the CLI)."""
    deadline = _deadline.get()
    return float("inf") if deadline is None else deadline - time.monotonic()


@contextmanager
def deadline_scope(seconds: float) -> Iterator[None]:
    """A deadline for work outside a request, e.g. the cold-start loads."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)
