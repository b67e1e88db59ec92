"""`config-api rollout report`: the per-variant figures and the verdict, as an exit code."""

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


def add_parser(sub: Any) -> None:
    """Register `rollout report` on the top-level subparsers of cli.build_parser()."""
    rollout = sub.add_parser("rollout", help="judge the flag rollout from per-variant stats")
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
    report.add_argument(
        "--window",
        type=window_seconds,
        default=3600,
        help="how far back to look with --url: 1h, 30m, 3600s... (default: 1h)",
    )
    report.add_argument(
        "--min-requests",
        type=positive,
        metavar="N",
        default=200,
        help="resilient requests needed before any verdict but HOLD (default: %(default)s)",
    )
    report.add_argument(
        "--max-error-rate",
        type=float,
        metavar="RATE",
        default=0.01,
        help="error rate the resilient variant must stay under (default: %(default)s)",
    )
    report.add_argument(
        "--save", type=Path, metavar="FILE", help="also write the snapshot to this file"
    )
    report.set_defaults(func=cmd_rollout_report)


def cmd_rollout_report(args: argparse.Namespace) -> int:
    from config_api.cli import rollout_snapshots as snapshots
    from config_api.rollout.report import EXIT_CODES, render, verdict

    try:
        if args.file:
            snapshot = snapshots.read(args.file)
        else:
            snapshot = snapshots.fetch(args.url, args.window)
        if args.save:
            snapshots.save(snapshot, args.save)
    except (snapshots.SnapshotUnavailable, OSError) as exc:
        print(f"rollout report: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    decision = verdict(snapshot, min_requests=args.min_requests, max_error_rate=args.max_error_rate)
    sys.stdout.write(render(snapshot, decision))
    return EXIT_CODES[decision[0]]
