"""The plan's rule, case by case: when `rollout step` moves the flag, and why it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config_api.rollout.plan import LastChange, next_step

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def changed(hours_ago: float, to: int, action: str = "promote") -> LastChange:
    return LastChange(NOW - timedelta(hours=hours_ago), to, action)


@pytest.mark.parametrize(
    ("current", "decision", "last", "action", "target", "fragment"),
    [
        # From 0 nothing is judged: the bake time alone (no record: a fresh deployment).
        (0, "HOLD", None, "promote", 10, "nothing to judge"),
        (0, "HOLD", changed(25, 0, "set"), "promote", 10, "bake time"),
        (0, "HOLD", changed(1, 0, "set"), "hold", 0, "the next step is possible in 23h00m"),
        # ... and never by itself after a roll back.
        (0, "HOLD", changed(48, 0, "roll back"), "hold", 0, "rollout set --percent 10"),
        (10, "PROMOTE", changed(24, 10), "promote", 100, "the verdict is PROMOTE"),
        (10, "PROMOTE", changed(23.5, 10), "hold", 10, "10% for 23h30m of the 24h00m"),
        (10, "HOLD", changed(30, 10), "hold", 10, "the verdict is HOLD"),
        # A roll back does not wait for the bake time.
        (10, "ROLL BACK", changed(0.1, 10), "roll back", 0, "the verdict is ROLL BACK"),
        (100, "ROLL BACK", changed(1, 100), "roll back", 0, "ROLL BACK"),
        (100, "PROMOTE", changed(48, 100), "hold", 100, "reconcile --all --apply"),
        # Off-plan percentages join the plan at the next step up.
        (37, "PROMOTE", changed(25, 37, "set"), "promote", 100, "PROMOTE"),
        (5, "PROMOTE", changed(25, 5, "set"), "promote", 10, "PROMOTE"),
        # A percentage no record explains has an unknown age.
        (10, "PROMOTE", None, "hold", 10, "rollout set --percent 10"),
        (10, "PROMOTE", changed(48, 100), "hold", 10, "changed outside"),
    ],
)
def test_next_step(
    current: int,
    decision: str,
    last: LastChange | None,
    action: str,
    target: int,
    fragment: str,
) -> None:
    step = next_step(current, decision, "why", last=last, now=NOW, bake=DAY)  # type: ignore[arg-type]
    assert (step.action, step.current, step.target) == (action, current, target), step.reason
    assert fragment in step.reason
