"""The service's log output as the JSON records its own (Powertools) formatter writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from config_api.observability.log import logger


class CapturedLogs:
    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def text(self) -> str:
        return self.buffer.getvalue()

    def records(self, level: str | None = None, mentioning: str = "") -> list[dict[str, Any]]:
        """Every record (one JSON object a line), or those of `level` whose line holds
        `mentioning`."""
        lines = [line for line in self.text().splitlines() if mentioning in line]
        records = [json.loads(line) for line in lines]
        return [r for r in records if level is None or r.get("level") == level]


@contextmanager
def captured_logs() -> Iterator[CapturedLogs]:
    captured = CapturedLogs()
    handler = logging.StreamHandler(captured.buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield captured
    finally:
        logging.getLogger(logger.name).removeHandler(handler)  # Powertools has no remover
