"""The rollout verdict: PROMOTE, HOLD or ROLL BACK from a per-variant stats snapshot.

Pure functions over a `RolloutSnapshot` (rollout/snapshot.py), whichever source measured it,
so the CLI, the ops page, `rollout step` and the tests judge exactly the same numbers.

The rules (errors are 5xx and 429 responses; `max_error_rate` defaults to 1%):

- HOLD while the resilient variant has fewer than `min_requests` requests: too little data.
- "Worse than baseline" means *significantly* worse: one-sided Fisher's exact test on the
  2x2 table (variant x error), p < 0.05. Around a 1% error rate a raw comparison is mostly
  noise (1 error in 200 against 0 in 1,800 has p = 0.1: no evidence), the counts are too small
  for a normal approximation, and a baseline with no traffic can never make the resilient
  variant "worse". (scipy.stats.fisher_exact computes the same; it is not worth its size in
  the Lambda package for a dozen lines.)
- PROMOTE when the resilient error rate is below `max_error_rate` and not worse than baseline.
- ROLL BACK when the resilient error rate is at or above `max_error_rate` and worse than
  baseline: the flag itself is hurting users.
- HOLD otherwise, which covers two ambiguous cases: under the threshold but worse than
  baseline, and over the threshold without being worse than baseline (both variants failing,
  e.g. an AWS outage, or no baseline traffic to compare with) — a human looks first.
"""

from __future__ import annotations

import math
from typing import Any

from config_api.rollout.snapshot import Decision, RolloutSnapshot

# Exit codes of `config-api rollout report`, so a pipeline can gate on the verdict.
EXIT_CODES: dict[Decision, int] = {"PROMOTE": 0, "HOLD": 3, "ROLL BACK": 4}
VARIANTS = ("baseline", "resilient")
SIGNIFICANCE = 0.05  # one-sided p-value under which the resilient variant is "worse"


def verdict(
    snapshot: RolloutSnapshot, min_requests: int = 200, max_error_rate: float = 0.01
) -> tuple[Decision, str]:
    """The decision and a reason that names the numbers it rests on."""
    res_requests, res_errors = snapshot.counts("resilient")
    base_requests, base_errors = snapshot.counts("baseline")
    threshold = _percent(max_error_rate)
    resilient = f"resilient {_share(res_errors, res_requests)}"
    baseline = f"baseline {_share(base_errors, base_requests)}"
    if res_requests < max(min_requests, 1):  # no rate at all without a request
        return "HOLD", (
            f"not enough data: {resilient}; at least {min_requests} resilient requests "
            "are needed before judging"
        )
    res_rate = res_errors / res_requests
    p_value = p_worse(res_errors, res_requests, base_errors, base_requests)
    worse = p_value < SIGNIFICANCE
    if res_rate < max_error_rate and not worse:
        compared = (
            "there is no baseline traffic to compare with"
            if base_requests == 0
            else f"not worse than {baseline}"
        )
        return "PROMOTE", f"{resilient} is under the {threshold} threshold and {compared}"
    if res_rate < max_error_rate:
        return "HOLD", (
            f"{resilient} is under the {threshold} threshold but significantly worse than "
            f"{baseline} (p={p_value:.2g})"
        )
    if worse:
        return "ROLL BACK", (
            f"{resilient} is at or over the {threshold} threshold and significantly worse "
            f"than {baseline} (p={p_value:.2g})"
        )
    if base_requests == 0:
        why = "there is no baseline traffic to compare with"
    else:
        why = (
            f"it is not significantly worse than {baseline}, so the errors are not the "
            "flag's doing: look at the dependencies"
        )
    return "HOLD", f"{resilient} is at or over the {threshold} threshold, but {why}"


def render(snapshot: RolloutSnapshot, decision: tuple[str, str]) -> str:
    """A plain-text report: what was measured, a table per variant, the verdict."""
    percentage = "?" if snapshot.percentage is None else snapshot.percentage
    header = (
        f"Rollout of {snapshot.flag} at {percentage}% "
        f"(window {_duration(snapshot.window_seconds)}, "
        f"generated {snapshot.generated_at or '?'})"
    )
    columns = ("variant", "requests", "errors", "error rate", "p50 ms", "p99 ms")
    rows = [columns]
    for name in _ordered(snapshot.variants):
        figures = snapshot.variants[name]
        requests, errors = figures.requests, figures.errors
        rate = _percent(errors / requests) if requests else "-"
        rows.append(
            (name, str(requests), str(errors), rate, _ms(figures.p50_ms), _ms(figures.p99_ms))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = [header] + ([f"source: {snapshot.source}"] if snapshot.source else []) + [""]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
    lines += ["", "error rate counts 5xx and 429 responses", "", f"Verdict: {decision[0]}"]
    lines.append(f"Reason:  {decision[1]}")
    return "\n".join(lines) + "\n"


def summary(snapshot: RolloutSnapshot) -> str:
    """The figures on one line (`rollout history`): the window, each variant's errors."""
    shares = [
        f"{name} {_share(snapshot.variants[name].errors, snapshot.variants[name].requests)}"
        for name in _ordered(snapshot.variants)
    ]
    source = f" from {snapshot.source}" if snapshot.source else ""
    return f"window {_duration(snapshot.window_seconds)}{source}: " + (
        "; ".join(shares) or "no traffic"
    )


def p_worse(errors: int, requests: int, base_errors: int, base_requests: int) -> float:
    """One-sided Fisher's exact test: the chance that, were both variants equally reliable,
    the resilient one would get at least `errors` of all the errors (hypergeometric tail)."""
    total, failed = requests + base_requests, errors + base_errors
    if requests == 0 or base_requests == 0 or failed == 0:
        return 1.0

    def log_comb(n: int, k: int) -> float:  # log(n choose k), exact enough for any traffic
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    every_split = log_comb(total, requests)
    tail = sum(
        math.exp(log_comb(failed, k) + log_comb(total - failed, requests - k) - every_split)
        for k in range(errors, min(requests, failed) + 1)
    )
    return min(1.0, tail)


def _ordered(variants: dict[str, Any]) -> list[str]:
    return [v for v in VARIANTS if v in variants] + sorted(set(variants) - set(VARIANTS))


def _share(errors: int, requests: int) -> str:
    if requests == 0:
        return "had no requests"
    return f"{errors}/{requests} errors ({_percent(errors / requests)})"


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f}"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
