"""Results of bench/success_rate.py: the per-cell figures, the targets, the machine, and the
JSON and PNG written to docs/ (the chart BENCHMARKS.md embeds)."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent / "docs"
JSON_PATH = DOCS / "success_rate.json"
CHART_PATH = DOCS / "success_rate.png"
COLOURS = {"baseline": "#c0392b", "resilient": "#1f77b4"}
# The targets for the resilient variant (docs/BENCHMARKS.md): (fault rate, success %, p99 ms).
TARGETS = [(0.1, 99.9, 850), (0.3, 99.0, 2000)]


@dataclass(frozen=True)
class Cell:
    rate: float
    variant: str
    creates: int
    created: int
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    duplicates: int
    stored_not_acked: int
    acked_not_stored: int
    over_limit: int
    users: int
    burst_users: int
    burst_created: int
    burst_worst: int

    @property
    def success_pct(self) -> float:
        return 100 * self.created / self.creates

    @property
    def others(self) -> str:
        """The answers other than 201, e.g. '429: 30, 503: 2'."""
        return ", ".join(f"{k}: {n}" for k, n in sorted(self.statuses.items()) if k != "201")


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    value: float
    bound: float
    at_least: bool  # True: value >= bound passes; False: value <= bound passes

    @property
    def passed(self) -> bool:
        return self.value >= self.bound if self.at_least else self.value <= self.bound

    @property
    def shown(self) -> str:
        if "success" in self.name:
            return f"{self.value:.1f}%"
        return f"{self.value:.0f} ms" if "p99" in self.name else f"{self.value:g}"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_json(
    cells: list[Cell],
    checks: list[Target],
    info: dict[str, Any],
    settings: dict[str, Any],
    served: dict[str, int],
) -> None:
    document = {
        "machine": info,
        "settings": settings,
        "cells": [asdict(c) | {"success_pct": round(c.success_pct, 2)} for c in cells],
        "targets": [asdict(t) | {"passed": t.passed} for t in checks],
        "server_requests_per_variant": served,
    }
    JSON_PATH.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_chart(cells: list[Cell]) -> None:
    """Success rate (left) and p99 latency (right) against the fault rate, per variant."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to a file
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=110)
    for variant, colour in COLOURS.items():
        mine = sorted((c for c in cells if c.variant == variant), key=lambda c: c.rate)
        xs = [100 * c.rate for c in mine]
        left.plot(xs, [c.success_pct for c in mine], "o-", color=colour, label=variant, lw=2)
        right.plot(xs, [c.p99_ms for c in mine], "o-", color=colour, label=variant, lw=2)
        for c in mine:
            left.annotate(
                f"{c.success_pct:.1f}%",
                (100 * c.rate, c.success_pct),
                textcoords="offset points",
                xytext=(0, 8 if variant == "resilient" else -15),
                ha="center",
                fontsize=8,
                color=colour,
            )
    for n, (rate, success, p99) in enumerate(TARGETS):
        label = "target for resilient" if n == 0 else None
        left.plot(100 * rate, success, "k_", ms=18, mew=2, label=label)
        right.plot(100 * rate, p99, "k_", ms=18, mew=2, label=label)
        left.annotate(
            f">= {success:g}%",
            (100 * rate, success),
            xytext=(4, -22),
            textcoords="offset points",
            fontsize=8,
        )
        right.annotate(
            f"<= {p99:g} ms",
            (100 * rate, p99),
            xytext=(12, -3),
            textcoords="offset points",
            fontsize=8,
        )
    left.set(
        title="Creates answered 201",
        xlabel="DynamoDB calls throttled (%)",
        ylabel="success rate (%)",
        ylim=(0, 110),
        yticks=range(0, 101, 20),
    )
    right.set(
        title="p99 create latency (every answer, 201 or not)",
        xlabel="DynamoDB calls throttled (%)",
        ylabel="p99 (ms)",
        ylim=(0, 1.1 * max(max(c.p99_ms for c in cells), TARGETS[-1][2])),
    )
    for ax in (left, right):
        ax.set_xticks([100 * r for r in sorted({c.rate for c in cells})])
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left" if ax is left else "upper left", fontsize=9)
    fig.suptitle("baseline (no retries, count-then-write) vs resilient (retries, transaction)")
    fig.tight_layout()
    fig.savefig(CHART_PATH)
    plt.close(fig)
