"""Rollout snapshots built by hand, for the verdict and report tests."""

from __future__ import annotations

from typing import Any


def snapshot(baseline: tuple[int, int] | None, resilient: tuple[int, int] | None) -> dict[str, Any]:
    """A snapshot as /ops/rollout/data serves it (JSON); None leaves a variant out."""
    variants: dict[str, Any] = {}
    for name, counts in (("baseline", baseline), ("resilient", resilient)):
        if counts is not None:
            requests, errors = counts
            variants[name] = {
                "requests": requests,
                "errors": errors,
                "error_rate": round(errors / requests, 4) if requests else 0.0,
                "p50_ms": 12.0 if requests else None,
                "p99_ms": 80.1 if requests else None,
            }
    return {
        "flag": "resilient_writes",
        "percentage": 10,
        "generated_at": "2026-11-28T15:00:00Z",
        "window_seconds": 3600,
        "bucket_seconds": 60,
        "variants": variants,
        "series": [],
    }
