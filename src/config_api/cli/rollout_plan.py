"""`config-api rollout set` and `rollout step`: the rollout plan as commands.

`set --percent N` changes the flag through the configured source (cli/rollout_flag.py) and
records the change. `step` reads the flag, judges the bake window (`--cloudwatch` on the SAM
deployment, `--url` in server mode) and applies the plan's rule (rollout/plan.py): without
`--apply` it only says what it would do and why. Each change is recorded in the table's
rollout history (store/admin/rollout_history.py) with who, when, from, to and the figures behind
it; the bake time counts from the newest record.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from config_api.cli import rollout_flag, rollout_snapshots
from config_api.domain.errors import ConfigApiError
from config_api.domain.timestamps import iso_utc
from config_api.retry.policy import RetryPolicy
from config_api.rollout.plan import LastChange, Step, next_step
from config_api.rollout.report import EXIT_CODES, render, summary, verdict
from config_api.rollout.snapshot import RolloutSnapshot
from config_api.settings import Settings
from config_api.store.admin.rollout_history import Change, RolloutHistory
from config_api.store.clients import dynamodb_client

EXIT_UNUSABLE = 2
STEP_EXIT = {"promote": EXIT_CODES["PROMOTE"], "hold": EXIT_CODES["HOLD"]}
STEP_EXIT["roll back"] = EXIT_CODES["ROLL BACK"]
# What stops a command with exit 2 and a one-line message: the flag or the figures cannot be
# read, the change is refused, or AWS fails (after the retry policy) reading or recording.
UNUSABLE = (
    rollout_flag.FlagUnchangeable,
    rollout_snapshots.SnapshotUnavailable,
    ConfigApiError,
    ClientError,
    BotoCoreError,
)


def operator() -> str:
    """Who runs the command, for the record (`--who` overrides it)."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


def history(settings: Settings) -> RolloutHistory:
    return RolloutHistory(
        dynamodb_client(settings), settings.table_name, RetryPolicy.from_settings(settings)
    )


def _fail(command: str, message: str) -> int:
    print(f"rollout {command}: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def cmd_set(args: argparse.Namespace) -> int:
    try:
        return _set(args)
    except UNUSABLE as exc:
        return _fail("set", str(exc))


def _set(args: argparse.Namespace) -> int:
    settings, who = Settings(), args.who or operator()
    current: int | None
    try:
        current, store = rollout_flag.current(settings)
    except rollout_flag.FlagUnchangeable as exc:
        if settings.rollout_appconfig is None:
            raise
        # Before AppConfig's first deployment there is nothing to read: setting the flag is
        # how it gets one. The previous percentage is recorded as unknown.
        print(f"rollout set: {exc}; the previous percentage is unknown", file=sys.stderr)
        current, store = None, rollout_flag.appconfig_name(settings)
    record = history(settings)
    last = record.latest()
    reason = args.reason or "set by hand"
    done = rollout_flag.change(
        settings,
        args.percent,
        description=f"resilient_writes {args.percent}% by {who}: {reason}",
        strategy=args.deployment_strategy,
    )
    print(f"resilient_writes: {_percent(current)} -> {args.percent}% ({done})")
    # Recorded after the change: a change asked for by name is recorded as it happened.
    change = Change(datetime.now(UTC), who, "set", current, args.percent, reason, store=store)
    recorded = record.append(change, after=last)
    if recorded is None:
        return _fail("set", "another change was recorded meanwhile: see `rollout history`")
    print(
        f"recorded as change #{recorded.seq} by {recorded.who} at {iso_utc(recorded.at, 'seconds')}"
    )
    return 0


def cmd_step(args: argparse.Namespace) -> int:
    try:
        return _step(args)
    except UNUSABLE as exc:
        return _fail("step", str(exc))


def _step(args: argparse.Namespace) -> int:
    settings, who = Settings(), args.who or operator()
    bake = timedelta(seconds=args.bake)
    current, store = rollout_flag.current(settings)
    window = args.window or args.bake
    snapshot = rollout_snapshots.from_args(args, settings, window=window)
    snapshot = snapshot.model_copy(update={"percentage": current})
    decision = verdict(snapshot, min_requests=args.min_requests, max_error_rate=args.max_error_rate)
    record = history(settings)
    last = record.latest()
    now = datetime.now(UTC)
    known = LastChange(last.at, last.to_percent, last.action) if last else None
    step = next_step(current, *decision, last=known, now=now, bake=bake)
    sys.stdout.write(render(snapshot, decision))
    print()
    print(_describe(step, applied=args.apply))
    print(f"Why:     {step.reason}")
    if not args.apply or step.target == current:
        return STEP_EXIT[step.action]
    change = Change(
        at=now,
        who=who,
        action=step.action,
        from_percent=current,
        to_percent=step.target,
        reason=step.reason,
        figures=_figures(snapshot),
        store=store,
    )
    # Recorded first: of two runs deciding the same step, only one changes the flag.
    recorded = record.append(change, after=last)
    if recorded is None:
        return _fail("step", "another change was recorded meanwhile: run it again")
    try:
        done = rollout_flag.change(
            settings,
            step.target,
            description=f"resilient_writes {step.target}% by {who}: {step.action}",
            strategy=args.deployment_strategy,
        )
    except UNUSABLE as exc:
        return _fail("step", f"recorded as change #{recorded.seq}, but not applied: {exc}")
    print(f"Applied: {done}; recorded as change #{recorded.seq} by {recorded.who}")
    return STEP_EXIT[step.action]


def _describe(step: Step, *, applied: bool) -> str:
    if step.action == "hold":
        return f"Step:    hold at {step.current}%"
    mode = "" if applied else " (dry run: --apply does it)"
    return f"Step:    {step.action} {step.current}% -> {step.target}%{mode}"


def _figures(snapshot: RolloutSnapshot) -> dict[str, object]:
    """What the record keeps of the evidence: the window and the per-variant figures."""
    return {
        "window_seconds": snapshot.window_seconds,
        "source": snapshot.source,
        "variants": {k: v.model_dump() for k, v in snapshot.variants.items()},
    }


def cmd_history(args: argparse.Namespace) -> int:
    try:
        changes = history(Settings()).recent(args.limit)
    except UNUSABLE as exc:
        return _fail("history", str(exc))
    for change in changes:
        print(
            f"#{change.seq} {iso_utc(change.at, 'seconds')} {change.who}: {change.action} "
            f"{_percent(change.from_percent)} -> {change.to_percent}% ({change.store}) "
            f"{change.reason}"
        )
        if change.figures:
            print(f"    judged on {_summary(change.figures)}")
    return 0


def _summary(figures: dict[str, object]) -> str:
    try:
        return summary(RolloutSnapshot.model_validate(figures))
    except ValueError:  # a record written by another version: say so, list the rest
        return "figures this version cannot read"


def _percent(value: int | None) -> str:
    return "?%" if value is None else f"{value}%"
