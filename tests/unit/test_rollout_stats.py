"""RolloutStats: per-variant figures over a window, in the shape the report and page read."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from config_api.rollout import RolloutStats
from tests.support.api import BASE

T0 = datetime(2026, 11, 28, 15, 0, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def stats_at(clock: Clock, percentage: int = 10) -> RolloutStats:
    return RolloutStats(percentage=lambda: percentage, clock=clock)


def test_the_snapshot_has_exactly_the_agreed_shape() -> None:
    clock = Clock(T0 + 30)
    stats = stats_at(clock)
    for status in (201, 200, 503, 429, 404, 400):
        stats.record(BASE, "baseline", status, 0.012)
    stats.record(f"{BASE}/{{config_id}}", "resilient", 200, 0.014)
    snapshot = stats.snapshot(3600).model_dump(mode="json")
    # Latencies come from 5%-wide histogram bins: close, not exact.
    for variant, ms in (("baseline", 12), ("resilient", 14)):
        for key in ("p50_ms", "p99_ms"):
            assert snapshot["variants"][variant].pop(key) == pytest.approx(ms, rel=0.03)
    assert snapshot == {
        "flag": "resilient_writes",
        "percentage": 10,
        "generated_at": "2026-11-28T15:00:30Z",
        "window_seconds": 3600,
        "bucket_seconds": 60,
        "source": None,
        "variants": {
            # Errors are 5xx and 429; a 404 or 400 is the client's, not the variant's.
            "baseline": {"requests": 6, "errors": 2, "error_rate": 0.3333},
            "resilient": {"requests": 1, "errors": 0, "error_rate": 0.0},
        },
        "series": [
            {"start": "2026-11-28T15:00:00Z", "variant": "baseline", "requests": 6, "errors": 2},
            {"start": "2026-11-28T15:00:00Z", "variant": "resilient", "requests": 1, "errors": 0},
        ],
    }


def test_no_traffic_is_zeros_and_nulls() -> None:
    snapshot = stats_at(Clock()).snapshot(3600).model_dump(mode="json")
    for variant in ("baseline", "resilient"):
        assert snapshot["variants"][variant] == {
            "requests": 0,
            "errors": 0,
            "error_rate": 0.0,
            "p50_ms": None,
            "p99_ms": None,
        }
    assert snapshot["series"] == []


@pytest.mark.parametrize(
    "route", ["/health", "/ready", "/metrics", "/ops/rollout/data", "unmatched"]
)
def test_only_the_configuration_api_counts(route: str) -> None:
    stats = stats_at(Clock())
    stats.record(route, "resilient", 500, 0.01)
    stats.record(BASE, "none", 401, 0.01)  # no user, no variant
    assert stats.snapshot(60).variants["resilient"].requests == 0
    assert stats.snapshot(60).variants["baseline"].requests == 0


def test_percentiles_come_from_the_histogram_within_three_percent() -> None:
    stats = stats_at(Clock())
    for ms in range(1, 1001):  # 1 ms ... 1000 ms, one each
        stats.record(BASE, "resilient", 200, ms / 1000)
    figures = stats.snapshot(60).variants["resilient"]
    assert figures.p50_ms == pytest.approx(500, rel=0.03)
    assert figures.p99_ms == pytest.approx(990, rel=0.03)


def test_the_window_selects_whole_minutes_and_the_series_is_per_minute() -> None:
    clock = Clock(T0)
    stats = stats_at(clock)
    for minute in range(10):  # one request per minute, an error every other minute
        clock.now = T0 + minute * 60 + 5
        stats.record(BASE, "baseline", 500 if minute % 2 else 200, 0.01)
    clock.now = T0 + 9 * 60 + 30
    last_three = stats.snapshot(180)
    assert last_three.counts("baseline") == (3, 2)  # errors in minutes 7 and 9
    assert [p.start for p in last_three.series if p.variant == "baseline"] == [
        "2026-11-28T15:07:00Z",
        "2026-11-28T15:08:00Z",
        "2026-11-28T15:09:00Z",
    ]
    assert stats.snapshot(3600).variants["baseline"].requests == 10


def test_memory_is_bounded_by_the_retention() -> None:
    clock = Clock(T0)
    stats = stats_at(clock)
    for minute in range(2 * 24 * 60):  # two days of traffic
        clock.now = T0 + minute * 60
        stats.record(BASE, "resilient", 200, 0.01)
    assert len(stats._buckets) <= 24 * 60
    day = stats.snapshot(7 * 86400)  # asked for a week: the retention is what there is
    assert day.window_seconds == 86400
    assert day.variants["resilient"].requests == 24 * 60


def test_concurrent_recording_loses_nothing() -> None:
    stats = stats_at(Clock())

    def hammer() -> None:
        for i in range(2000):
            stats.record(
                BASE, "baseline" if i % 2 else "resilient", 503 if i % 10 == 0 else 200, 0.003
            )

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    variants = stats.snapshot(60).variants
    assert variants["baseline"].requests == variants["resilient"].requests == 8000
    assert variants["resilient"].errors == 1600
