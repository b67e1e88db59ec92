"""Rolling per-variant request stats for the rollout decision, in memory.

Per-minute buckets kept for 24 hours; per bucket and variant: requests, errors (5xx and
429, `metrics.is_error`: what a user experiences as a failure) and a fixed log-scale latency
histogram (5% wide bins, so p50/p99 are within ~2.5%). Memory is bounded by retention x
variants x bins whatever the traffic, and only the bins that were hit are stored.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from config_api.domain.timestamps import iso_utc
from config_api.observability.emf_names import ROLLOUT_VARIANTS, judged_by_rollout
from config_api.observability.metrics import is_error
from config_api.rollout.flag import FLAG
from config_api.rollout.snapshot import RolloutSnapshot, SeriesPoint, VariantFigures

BASELINE = "baseline"
RESILIENT = "resilient"
VARIANTS = ROLLOUT_VARIANTS  # the names the EMF metrics carry
BIN_RATIO = 1.05
MIN_MS = 0.1  # faster than this lands in bin 0
MAX_BIN = 400  # 0.1 ms x 1.05^400 is about 8 hours: nothing is slower


def _bin(ms: float) -> int:
    if ms <= MIN_MS:
        return 0
    return min(MAX_BIN, math.ceil(math.log(ms / MIN_MS) / math.log(BIN_RATIO)))


def _bin_ms(index: int) -> float:
    """A bin's representative latency: the geometric middle of its bounds."""
    return MIN_MS if index == 0 else MIN_MS * BIN_RATIO ** (index - 0.5)


@dataclass
class _Cell:
    requests: int = 0
    errors: int = 0
    bins: dict[int, int] = field(default_factory=dict)

    def add(self, other: _Cell) -> None:
        self.requests += other.requests
        self.errors += other.errors
        for index, count in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + count


def _percentile(bins: dict[int, int], total: int, q: float) -> float | None:
    """Nearest-rank percentile over the histogram."""
    if total == 0:
        return None
    rank, seen = max(1, math.ceil(q * total)), 0
    for index in sorted(bins):
        seen += bins[index]
        if seen >= rank:
            return round(_bin_ms(index), 1)
    return None  # unreachable: the bins add up to `total`


def _at(epoch: float) -> str:
    return iso_utc(datetime.fromtimestamp(epoch, UTC), "seconds")


class RolloutStats:
    def __init__(
        self,
        *,
        percentage: Callable[[], int] = lambda: 0,
        retention_seconds: int = 86_400,
        bucket_seconds: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._percentage, self._clock = percentage, clock
        self.bucket_seconds = bucket_seconds
        self.retention_seconds = retention_seconds
        self._lock = threading.Lock()
        self._buckets: dict[int, dict[str, _Cell]] = {}  # bucket start (epoch s) → variant

    def record(self, route: str, variant: str, status: int, seconds: float) -> None:
        """Count one finished request (ignored outside the configuration API or variants)."""
        if not judged_by_rollout(route, variant):  # only the configuration API decides
            return
        start = self._start_of(self._clock())
        with self._lock:
            cells = self._buckets.get(start)
            if cells is None:
                cells = self._buckets[start] = {v: _Cell() for v in VARIANTS}
                self._prune(start)
            cell = cells[variant]
            cell.requests += 1
            cell.errors += is_error(status)
            index = _bin(seconds * 1000)
            cell.bins[index] = cell.bins.get(index, 0) + 1

    def snapshot(self, window_seconds: int) -> RolloutSnapshot:
        """Totals and a per-minute series over the last `window_seconds` (at most the
        retention), the current minute included."""
        now = self._clock()
        window = max(self.bucket_seconds, min(int(window_seconds), self.retention_seconds))
        newest = self._start_of(now)
        oldest = newest - (math.ceil(window / self.bucket_seconds) - 1) * self.bucket_seconds
        totals = {v: _Cell() for v in VARIANTS}
        series: list[SeriesPoint] = []
        with self._lock:
            for start in sorted(s for s in self._buckets if oldest <= s <= newest):
                cells = self._buckets[start]
                for variant in VARIANTS:
                    cell = cells[variant]
                    totals[variant].add(cell)
                    series.append(
                        SeriesPoint(
                            start=_at(start),
                            variant=variant,
                            requests=cell.requests,
                            errors=cell.errors,
                        )
                    )
        return RolloutSnapshot(
            flag=FLAG,
            percentage=self._percentage(),
            generated_at=_at(now),
            window_seconds=window,
            bucket_seconds=self.bucket_seconds,
            variants={v: self._figures(totals[v]) for v in VARIANTS},
            series=series,
        )

    @staticmethod
    def _figures(cell: _Cell) -> VariantFigures:
        return VariantFigures(
            requests=cell.requests,
            errors=cell.errors,
            p50_ms=_percentile(cell.bins, cell.requests, 0.50),
            p99_ms=_percentile(cell.bins, cell.requests, 0.99),
        )

    def _start_of(self, epoch: float) -> int:
        return int(epoch // self.bucket_seconds) * self.bucket_seconds

    def _prune(self, newest: int) -> None:
        """Drop buckets past the retention (called when a new bucket opens, under the lock)."""
        cutoff = newest - self.retention_seconds
        for start in [s for s in self._buckets if s <= cutoff]:
            del self._buckets[start]
