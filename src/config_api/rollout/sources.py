"""Where the flag's rules come from: settings, a JSON file, or AWS AppConfig.

Every source hands back a validated Powertools feature-flag document and keeps the last
good one when its origin fails (a bad edit or an AppConfig outage must not move users
between variants).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, ConfigurationStoreError
from aws_lambda_powertools.utilities.feature_flags.exceptions import (
    SchemaValidationError,
    StoreClientError,
)

from config_api.observability.log import logger
from config_api.rollout.flag import FlagSource, rules_for, validated
from config_api.settings import Settings
from config_api.store.clients import appconfigdata_client


class SettingsSource(FlagSource):
    """ROLLOUT_PERCENT; writable (in memory) by the admin call in server mode."""

    name = "settings"

    def __init__(self, percentage: int, *, writable: bool) -> None:
        self._document = rules_for(percentage)
        self.writable = writable

    def get_configuration(self) -> dict[str, Any]:
        return self._document

    def write(self, document: dict[str, Any]) -> None:
        if not self.writable:
            super().write(document)
        self._document = validated(document)


Stamp = tuple[int, int, int]  # (inode, size, mtime_ns): os.replace changes the inode


class FileSource(FlagSource):
    """ROLLOUT_FILE: re-read when it changes, checked at most every `reload_seconds`.

    Unreadable or invalid at start is an error (fail fast); later, the last good rules stay.
    The admin call replaces the file atomically, so other processes reading it follow.
    """

    def __init__(
        self,
        path: Path,
        *,
        reload_seconds: float,
        writable: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self.writable = path, writable
        self.name = f"file {path}"
        self._reload_seconds, self._clock = reload_seconds, clock
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._document = self._read()
        self._checked_at = clock()

    def get_configuration(self) -> dict[str, Any]:
        if self._clock() - self._checked_at >= self._reload_seconds:
            with self._lock:
                self._reload()
        return self._document

    def _reload(self) -> None:
        self._checked_at = self._clock()
        try:
            stamp = self._stat()
            if stamp == self._stamp:
                return
            document = self._read()
        except (OSError, ValueError, SchemaValidationError) as exc:
            logger.warning(
                "rollout file unusable; keeping the current rules",
                extra={"path": str(self.path), "error": str(exc)},
            )
            return
        self._stamp, self._document = stamp, document

    def _stat(self) -> Stamp:
        st = self.path.stat()
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _read(self) -> dict[str, Any]:
        return validated(json.loads(self.path.read_text("utf-8")))

    def write(self, document: dict[str, Any]) -> None:
        if not self.writable:
            super().write(document)
        document = validated(document)
        with self._lock:
            # Write beside the target, then rename: a reader sees the old or the new file.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(document, out, indent=2)
                    out.write("\n")
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._stamp, self._document = self._stat(), document
            self._checked_at = self._clock()


class AppConfigSource(FlagSource):
    """AWS AppConfig through Powertools' AppConfigStore (cached `max_age` seconds there).

    Read-only here: AppConfig's own deployment strategies change it. Until the first
    successful fetch, ROLLOUT_PERCENT applies.
    """

    def __init__(
        self,
        store: AppConfigStore,
        fallback_percentage: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self._clock = store, clock
        self.name = f"appconfig {store.application}/{store.environment}/{store.name}"
        self._document = rules_for(fallback_percentage)
        self._fetched: object = None
        self._quiet_until = float("-inf")

    def get_configuration(self) -> dict[str, Any]:
        if self._clock() < self._quiet_until:
            return self._document
        try:
            fetched = self.store.get_configuration()
            if fetched is not self._fetched:  # Powertools hands back its cached object
                self._fetched = fetched  # judged once, even if invalid
                self._document = validated(fetched)
        except (ConfigurationStoreError, StoreClientError, SchemaValidationError) as exc:
            # Powertools caches only successes: without a pause every request would call
            # AppConfig (and log) during an outage.
            self._quiet_until = self._clock() + self.store.cache_seconds
            logger.warning(
                "rollout rules unavailable from AppConfig; keeping the current rules",
                extra={"error": str(exc)},
            )
        return self._document


def source_from_settings(settings: Settings, *, writable: bool) -> FlagSource:
    """AppConfig when configured, else the file, else ROLLOUT_PERCENT."""
    if settings.rollout_appconfig is not None:
        application, environment, profile = settings.rollout_appconfig
        store = AppConfigStore(
            environment=environment,
            application=application,
            name=profile,
            max_age=max(1, math.ceil(settings.rollout_reload_seconds)),
            # A client of our own: Powertools would build one with botocore's default
            # retries (a second retry layer) and timeouts. One attempt per fetch: a failed
            # one keeps the current rules and is tried again after `max_age`.
            boto3_client=appconfigdata_client(settings),
        )
        return AppConfigSource(store, settings.rollout_percent)
    if settings.rollout_file is not None:
        return FileSource(
            settings.rollout_file,
            reload_seconds=settings.rollout_reload_seconds,
            writable=writable,
        )
    return SettingsSource(settings.rollout_percent, writable=writable)
