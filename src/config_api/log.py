"""Structured JSON logging (Powertools Logger), with the correlation id on every line."""

from __future__ import annotations

import hashlib
import logging

from aws_lambda_powertools import Logger

from config_api.request_context import correlation_id


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id()
        return True


logger = Logger(service="config-api")
logger.addFilter(_CorrelationFilter())


def user_ref(user_id: str) -> str:
    """A short, stable, non-reversible reference to a user for logs (never the full id)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]
