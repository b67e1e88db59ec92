"""The rollout plan as a rule: 0 → 10 → 100, one step at a time, on the evidence.

`next_step` is what `config-api rollout step` applies (cli/rollout_plan.py); pure, so every
case is tested without AWS. The bake time counts from the last recorded change of the
percentage (store/admin/rollout_history.py).

- ROLL BACK (the resilient variant significantly worse and over the threshold): back to 0 at
  once, whatever the bake time.
- PROMOTE with the bake time elapsed at the current step: the next step.
- From 0 nothing can be judged (no user is on the resilient variant), so the first step
  needs only the bake time — unless the last change was a roll back: then the cause is fixed
  first, and a human raises the flag again (`rollout set --percent 10`).
- A percentage that no recorded change explains (changed by a redeploy or the admin call)
  has an unknown age: hold until it is recorded with `rollout set`.
- Everything else holds: the reason says which condition is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from config_api.rollout.snapshot import Decision

STEPS = (0, 10, 100)
Action = Literal["promote", "roll back", "hold"]


@dataclass(frozen=True)
class LastChange:
    """The latest recorded change of the percentage."""

    at: datetime
    to: int
    action: str  # "promote", "roll back" or "set"


@dataclass(frozen=True)
class Step:
    action: Action
    current: int
    target: int
    reason: str


def next_percentage(current: int) -> int:
    return next(step for step in STEPS if step > current) if current < STEPS[-1] else current


def _age(last: LastChange, now: datetime) -> timedelta:
    return now - last.at


def _duration(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def next_step(
    current: int,
    decision: Decision,
    why: str,
    *,
    last: LastChange | None,
    now: datetime,
    bake: timedelta,
) -> Step:
    """What the plan does now at `current`%, given the verdict over the bake window."""

    def hold(reason: str) -> Step:
        return Step("hold", current, current, reason)

    if decision == "ROLL BACK" and current > 0:
        return Step("roll back", current, 0, f"the verdict is ROLL BACK: {why}")
    if current >= STEPS[-1]:
        return hold(
            f"the rollout is complete at {current}% (verdict {decision}: {why}); "
            "reconcile the counters: config-api reconcile --all --apply"
        )
    target = next_percentage(current)
    if last is not None and last.to != current:
        return hold(
            f"the flag is at {current}% but the last recorded change set {last.to}% "
            f"({last.at:%Y-%m-%d %H:%M}Z): it was changed outside `rollout set/step`, so its "
            f"age is unknown; record it with `config-api rollout set --percent {current}`"
        )
    if last is None and current > 0:
        return hold(
            f"no recorded change explains {current}%, so its age is unknown; record it with "
            f"`config-api rollout set --percent {current}`"
        )
    if current == 0 and last is not None and last.action == "roll back":
        return hold(
            f"rolled back to 0% at {last.at:%Y-%m-%d %H:%M}Z; fix the cause, then raise the "
            "flag again with `config-api rollout set --percent 10`"
        )
    if last is not None and _age(last, now) < bake:
        remaining = bake - _age(last, now)
        return hold(
            f"{current}% for {_duration(_age(last, now))} of the {_duration(bake)} bake time "
            f"(verdict {decision}); the next step is possible in {_duration(remaining)}"
        )
    if current == 0:
        return Step(
            "promote",
            current,
            target,
            "0%: nobody is on the resilient variant yet, nothing "
            "to judge; the first step needs only the bake time",
        )
    if decision == "PROMOTE":
        return Step("promote", current, target, f"the verdict is PROMOTE: {why}")
    return hold(f"the verdict is {decision}: {why}")
