"""Structured JSON logging (Powertools Logger), with the correlation id on every line."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger

from config_api.observability.context import correlation_id


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id()
        return True


def _as_text(message: dict[str, Any] | str | bool | float) -> str:
    """Messages stay text. Powertools' default tries json.loads on each one (to embed a JSON
    message as an object): for our plain-word messages a raised JSONDecodeError per line."""
    return str(message)  # only ever called with a str


# ASCII-only JSON (Powertools' default keeps non-ASCII raw): a user-supplied string cannot put
# a control, bidi-override or line-separator character into a log line, nor a lone surrogate
# that stdout could not even encode (the line would be lost).
logger = Logger(
    service="config-api",
    json_serializer=partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=True),
    json_deserializer=_as_text,
)
logger.addFilter(_CorrelationFilter())


def user_ref(user_id: str) -> str:
    """A short, stable, non-reversible reference to a user for logs (never the full id)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


@contextmanager
def logs_on_stderr() -> Iterator[None]:
    """Operator commands print their results on stdout; meanwhile log lines go to the process's
    stderr, so a redirect or a pipe gets the results alone (servers and Lambda log to stdout).
    The process's own stderr, not sys.stderr: a command run inside a test leaves the test's
    captured streams to the command's own output."""
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):  # Powertools' own is one
        yield
        return
    previous = handler.setStream(sys.__stderr__ or sys.stderr)  # None: it was that already
    try:
        yield
    finally:
        if previous is not None:
            handler.setStream(previous)
