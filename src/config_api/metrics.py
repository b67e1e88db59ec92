"""In-process counters: retries, ticker-list fallbacks, create outcomes.

Deliberately tiny (a dict behind a lock): an exporter (Prometheus, EMF) can read
`snapshot()` later without the call sites changing. One registry per process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

Labels = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_counts: dict[tuple[str, Labels], int] = {}


def count(name: str, amount: int = 1, **labels: str) -> None:
    """Add `amount` to the counter `name` with these labels (label order does not matter)."""
    key = (name, tuple(sorted(labels.items())))
    with _lock:
        _counts[key] = _counts.get(key, 0) + amount


def snapshot() -> Mapping[tuple[str, Labels], int]:
    """A copy of every counter, keyed by (name, sorted label pairs)."""
    with _lock:
        return dict(_counts)


def total(name: str, **labels: str) -> int:
    """The sum of `name` over every label set that includes the given labels."""
    wanted = set(labels.items())
    return sum(
        value
        for (counter, pairs), value in snapshot().items()
        if counter == name and wanted <= set(pairs)
    )
