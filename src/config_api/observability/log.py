"""Structured JSON logging (Powertools Logger), with the correlation id on every line."""

from __future__ import annotations

import hashlib
import json
import logging
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
