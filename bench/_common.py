"""Shared helpers for the benchmark scripts: a private emulator stack, its request counter,
and a plain-text table. Each script runs on its own emulator, so results never mix."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from config_api.cli.main import LOCAL_CREDENTIALS, seed_stack
from config_api.local.emulator import REQUESTS_PATH, Emulator
from config_api.observability.log import logger
from config_api.settings import Settings


@dataclass(frozen=True)
class Stack:
    url: str
    settings: Settings

    def requests(self) -> dict[str, dict[str, int]]:
        """AWS requests the emulator served since the last reset, per service and operation."""
        with urllib.request.urlopen(f"{self.url}{REQUESTS_PATH}", timeout=10) as resp:
            counts: dict[str, dict[str, int]] = json.loads(resp.read())
        return counts

    def reset_requests(self) -> None:
        request = urllib.request.Request(f"{self.url}{REQUESTS_PATH}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def dynamodb_requests(self) -> int:
        return sum(self.requests().get("dynamodb", {}).values())


@contextmanager
def local_stack(**overrides: Any) -> Iterator[Stack]:
    """The bundled emulator on a free port, with the table, bucket and ticker list.

    The service's INFO/WARNING log lines (counter initialised, retries) would bury the
    results, so only errors are logged while it runs."""
    logger.setLevel(logging.ERROR)
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    emulator = Emulator("127.0.0.1", 0, seed=1)
    emulator.start()
    try:
        values: dict[str, Any] = {
            "AWS_ENDPOINT_URL": emulator.url,
            "TABLE_NAME": "config-api-bench",
            "TICKER_BUCKET": "config-api-bench-tickers",
        }
        values.update({k.upper(): v for k, v in overrides.items()})
        settings = Settings(**values)
        seed_stack(settings)
        yield Stack(emulator.url, settings)
    finally:
        emulator.stop()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * width for width in widths))
