"""Where `config-api rollout report` gets its snapshot: a running server, a saved file, or
CloudWatch (cli/rollout_cloudwatch.py). Each yields the one `RolloutSnapshot` model."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pydantic import ValidationError

from config_api.retry.policy import RetryPolicy
from config_api.rollout.snapshot import RolloutSnapshot
from config_api.settings import Settings

FETCH_TIMEOUT_SECONDS = 10.0


class SnapshotUnavailable(Exception):
    """No snapshot to judge; the message says why."""


def fetch(base_url: str, window: int) -> RolloutSnapshot:
    """The live snapshot from a running API's /ops/rollout/data."""
    query = urllib.parse.urlencode({"window_seconds": window})
    url = f"{base_url.rstrip('/')}/ops/rollout/data?{query}"
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        raise SnapshotUnavailable(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SnapshotUnavailable(f"cannot reach {url}: {reason}") from exc
    return parse(body, url)


def read(path: Path) -> RolloutSnapshot:
    try:
        return parse(path.read_bytes(), str(path))
    except OSError as exc:
        raise SnapshotUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc


def parse(body: bytes, source: str) -> RolloutSnapshot:
    """A snapshot must at least be an object with per-variant integer counts to be judged."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotUnavailable(f"{source} is not JSON: {exc}") from exc
    try:
        return RolloutSnapshot.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'the document'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SnapshotUnavailable(f"{source} is not a rollout snapshot ({problems})") from exc


def save(snapshot: RolloutSnapshot, path: Path) -> None:
    path.write_text(snapshot.model_dump_json(indent=2) + "\n")


def from_args(args: argparse.Namespace, settings: Settings, *, window: int) -> RolloutSnapshot:
    """The snapshot the command line asks for: --cloudwatch, --file or --url."""
    if getattr(args, "cloudwatch", False):
        from config_api.cli import rollout_cloudwatch

        namespace = args.namespace or settings.metrics_namespace
        cloudwatch, policy = (
            rollout_cloudwatch.client(settings),
            RetryPolicy.from_settings(settings),
        )
        snapshot = rollout_cloudwatch.read(cloudwatch, namespace, window, policy=policy)
        return snapshot.model_copy(update={"percentage": _configured_percentage(settings)})
    if getattr(args, "file", None):
        return read(args.file)
    return fetch(args.url, window)


def _configured_percentage(settings: Settings) -> int | None:
    """The flag's percentage for the report's header, when its source is configured here (a
    file or AppConfig; ROLLOUT_PERCENT in this shell says nothing about the functions')."""
    from config_api.cli import rollout_flag

    if settings.rollout_file is None and settings.rollout_appconfig is None:
        return None
    try:
        return rollout_flag.current(settings)[0]
    except rollout_flag.FlagUnchangeable:
        return None  # the figures are still worth a report
