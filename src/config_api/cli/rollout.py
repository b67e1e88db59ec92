"""`config-api rollout report | set | step | history`: the rollout plan's commands.

report: the per-variant figures and the verdict, as an exit code (here); set, step and
history: cli/rollout_plan.py. Where the figures come from: cli/rollout_snapshots.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

EXIT_UNUSABLE = 2  # no snapshot to judge: unreachable URL, unreadable or malformed file
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

HELP = """\
Print requests, error rate (5xx and 429) and p50/p99 latency per variant, then a verdict.
Exit status: 0 PROMOTE (resilient error rate under the threshold with at least --min-requests
requests, and not significantly worse than baseline), 3 HOLD (not enough data, or ambiguous),
4 ROLL BACK (resilient at or over the threshold and significantly worse than baseline),
2 when no snapshot could be read. "Significantly worse" is a one-sided Fisher's exact test on
the error counts, p < 0.05: a handful of errors in a small sample is not evidence."""

STEP_HELP = """\
Move the flag one step of the plan 0 -> 10 -> 100: up only when the verdict over the bake
window is PROMOTE and the current percentage is at least --bake old (counted from the last
recorded change); back to 0 on ROLL BACK; otherwise hold. From 0 there is nothing to judge,
so the first step needs only the bake time (and none after a roll back: raise it again with
`rollout set`). Without --apply it only says what it would do and why.
Exit status: 0 promote, 3 hold, 4 roll back (done, or to do without --apply), 2 when the
flag or the figures could not be read, or the change failed."""

CLOUDWATCH_HELP = "the Lambda's EMF metrics in CloudWatch (see --namespace)"


def window_seconds(text: str) -> int:
    """'1h', '30m', '3600s', '3600' or '1d' as seconds (an argparse type)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not a window: {text!r} (try 1h, 30m or 3600s)")
    return int(match.group(1)) * UNITS[match.group(2) or "s"]


def positive(text: str) -> int:
    """A whole number of at least 1 (an argparse type)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def percent(text: str) -> int:
    """A whole number 0-100 (an argparse type)."""
    if not text.strip().isdigit() or int(text) > 100:
        raise argparse.ArgumentTypeError(f"not a percentage 0-100: {text!r}")
    return int(text)


def _judging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--min-requests",
        type=positive,
        metavar="N",
        default=200,
        help="resilient requests needed before any verdict but HOLD (default: %(default)s)",
    )
    parser.add_argument(
        "--max-error-rate",
        type=float,
        metavar="RATE",
        default=0.01,
        help="error rate the resilient variant must stay under (default: %(default)s)",
    )
    parser.add_argument(
        "--namespace",
        metavar="NS",
        help="with --cloudwatch: the EMF namespace (default: METRICS_NAMESPACE)",
    )


def _changing(parser: argparse.ArgumentParser) -> None:
    from config_api.cli.rollout_flag import DEFAULT_STRATEGY

    parser.add_argument("--who", help="recorded as the change's author (default: user@host)")
    parser.add_argument(
        "--deployment-strategy",
        default=DEFAULT_STRATEGY,
        metavar="ID",
        help="with AppConfig: the deployment strategy (default: %(default)s)",
    )


def add_parser(sub: Any) -> None:
    """Register `rollout ...` on the top-level subparsers of cli.build_parser()."""
    from config_api.cli import rollout_plan

    rollout = sub.add_parser("rollout", help="the flag rollout: figures, verdict, steps")
    rsub = rollout.add_subparsers(dest="rollout_command", required=True)
    report = rsub.add_parser(
        "report",
        help="per-variant figures and a PROMOTE/HOLD/ROLL BACK verdict (exit 0/3/4)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = report.add_mutually_exclusive_group()
    source.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="base URL of a running API; reads URL/ops/rollout/data (default: %(default)s)",
    )
    source.add_argument(
        "--file", type=Path, metavar="SNAPSHOT", help="a saved snapshot (JSON) instead of --url"
    )
    source.add_argument("--cloudwatch", action="store_true", help=CLOUDWATCH_HELP)
    report.add_argument(
        "--window",
        type=window_seconds,
        default=3600,
        help="how far back to look with --url or --cloudwatch: 1h, 30m, 3600s... (default: 1h)",
    )
    _judging(report)
    report.add_argument(
        "--save", type=Path, metavar="FILE", help="also write the snapshot to this file"
    )
    report.set_defaults(func=cmd_rollout_report)

    step = rsub.add_parser(
        "step",
        help="one step of the plan 0 -> 10 -> 100 on the verdict (dry run without --apply)",
        description=STEP_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judged_by = step.add_mutually_exclusive_group(required=True)
    judged_by.add_argument("--url", help="base URL of a running API (server mode)")
    judged_by.add_argument("--cloudwatch", action="store_true", help=CLOUDWATCH_HELP)
    step.add_argument(
        "--bake",
        type=window_seconds,
        default=86400,
        help="how long a step must last, and the window judged (default: 24h)",
    )
    step.add_argument(
        "--window",
        type=window_seconds,
        help="the window judged, if not the bake time (e.g. all of a longer step)",
    )
    step.add_argument("--apply", action="store_true", help="make the change (default: dry run)")
    _judging(step)
    _changing(step)
    step.set_defaults(func=rollout_plan.cmd_step, file=None)

    change = rsub.add_parser("set", help="set the flag's percentage (and record it)")
    change.add_argument("--percent", type=percent, required=True, metavar="N")
    change.add_argument("--reason", help="recorded with the change")
    _changing(change)
    change.set_defaults(func=rollout_plan.cmd_set)

    shown = rsub.add_parser("history", help="the recorded changes, newest first")
    shown.add_argument("--limit", type=positive, default=10, metavar="N")
    shown.set_defaults(func=rollout_plan.cmd_history)


def cmd_rollout_report(args: argparse.Namespace) -> int:
    from config_api.cli import rollout_snapshots as snapshots
    from config_api.rollout.report import EXIT_CODES, render, verdict
    from config_api.settings import Settings

    try:
        snapshot = snapshots.from_args(args, Settings(), window=args.window)
        if args.save:
            snapshots.save(snapshot, args.save)
    except (snapshots.SnapshotUnavailable, OSError) as exc:
        print(f"rollout report: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    decision = verdict(snapshot, min_requests=args.min_requests, max_error_rate=args.max_error_rate)
    sys.stdout.write(render(snapshot, decision))
    return EXIT_CODES[decision[0]]
