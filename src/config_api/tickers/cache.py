"""The ticker list the service validates against: S3 first, then degrade gracefully.
(The S3 object is read by store/ticker_object.py.)

Order of preference: the S3 object (kept in memory, refreshed after a TTL with a
conditional GET), then the list bundled with the package, then accepting any well-formed
symbol. Each downgrade is logged and counted. With `strict`, no list means 503.
Refreshes run in the background, one at a time, and a failed refresh keeps the last list.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from config_api.domain.errors import DependencyError, DependencyUnavailable
from config_api.observability.log import logger
from config_api.store.refresher import BackgroundRefresher
from config_api.store.ticker_object import TickerObject
from config_api.tickers.catalog import (
    Ticker,
    TickerList,
    bundled_as_of,
    load_bundled,
    validate_any,
)

Source = Literal["s3", "bundled", "allow-any", "none"]
Fallback = Literal["bundled", "allow-any", "strict"]
# While degraded, try S3 again sooner than the normal refresh interval.
DEGRADED_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class TickerStatus:
    source: Source
    symbols: int
    etag: str | None
    age_seconds: float | None
    origin: str | None = None  # where the list's data comes from, and its date
    as_of: date | None = None


class TickerCache:
    def __init__(
        self,
        source: TickerObject,
        *,
        fallback: Fallback = "bundled",
        refresh_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._object = source
        self._fallback, self._refresh_seconds, self._clock = fallback, refresh_seconds, clock
        self._on_fallback = on_fallback
        self._list: TickerList | None = None
        self._source: Source = "none"
        self._etag: str | None = None
        self._loaded_at: float | None = None
        self._warned_stale = False
        self._refresher = BackgroundRefresher(
            "ticker list", self._refresh_from_s3, self._refresh_interval, clock
        )

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Cold start: S3, else the configured fallback. Never raises."""
        if self._refresh_from_s3():
            return
        if self._fallback == "bundled":
            try:
                self._install(load_bundled(), "bundled", etag=None)
                self._degraded("bundled")
                return
            except (OSError, ValueError) as exc:
                logger.warning("bundled ticker list unusable", extra={"error": str(exc)})
        if self._fallback in ("bundled", "allow-any"):
            self._source = "allow-any"
            self._degraded("allow-any")

    def _refresh_from_s3(self) -> bool:
        """Fetch the S3 object if it changed. True when the S3 list is (still) current."""
        self._refresher.checked()
        try:
            fetched = self._object.fetch(self._etag if self._source == "s3" else None)
            if fetched is None:  # unchanged since we loaded it
                self._loaded_at = self._clock()
                return True
            fresh = TickerList.from_json(fetched.body)
        except (DependencyError, BotoCoreError, ClientError, ValueError) as exc:
            return self._refresh_failed(exc)
        self._install(fresh, "s3", etag=fetched.etag)
        self._warn_if_older_than_bundled(fresh)
        return True

    def _warn_if_older_than_bundled(self, s3_list: TickerList) -> None:
        """S3 stays preferred (operators publish newer lists there), but an S3 copy older than
        the list this version ships means nobody ran `tickers publish --bundled` after the
        deploy: said once per process, not at every refresh."""
        bundled = bundled_as_of()
        if self._warned_stale or bundled is None or s3_list.as_of >= bundled:
            return
        self._warned_stale = True
        logger.warning(
            "ticker list in S3 is older than the bundled one; "
            "run `config-api tickers publish --bundled`",
            extra={"s3_as_of": s3_list.as_of.isoformat(), "bundled_as_of": bundled.isoformat()},
        )

    def _refresh_failed(self, exc: Exception) -> bool:
        logger.warning(
            "ticker list refresh from S3 failed; keeping the current list",
            extra={"error": str(exc), "current_source": self._source},
        )
        return False

    def _install(self, tickers: TickerList, source: Source, etag: str | None) -> None:
        self._list, self._source, self._etag = tickers, source, etag
        self._loaded_at = self._clock()
        logger.info("ticker list loaded", extra={"source": source, "symbols": len(tickers)})

    def _degraded(self, source: str) -> None:
        logger.warning("ticker list degraded", extra={"source": source})
        if self._on_fallback:
            self._on_fallback(source)

    # -- refresh -------------------------------------------------------------------------
    def _refresh_interval(self) -> float:
        return self._refresh_seconds if self._source == "s3" else DEGRADED_RETRY_SECONDS

    def refresh_now(self) -> bool:
        """Synchronous refresh (tests and operators). True when the S3 list is current."""
        return self._refresher.run_now()

    # -- use -----------------------------------------------------------------------------
    def catalog(self) -> TickerList | None:
        """The list creates, searches and validations use now; None in allow-any mode (any
        well-formed symbol); DependencyUnavailable when there is none (strict)."""
        self._refresher.maybe_start()
        current = self._list
        if current is not None or self._source == "allow-any":
            return current
        raise DependencyUnavailable(
            "The ticker list is not available yet; try again shortly",
            dependency="s3",
            retry_after=self.retry_after_seconds(),
        )

    def validate(self, symbols: Sequence[str]) -> list[Ticker]:
        current = self.catalog()
        if current is not None:
            return current.validate(symbols)
        logger.warning("ticker validation degraded to well-formedness only")
        return validate_any(symbols)

    def retry_after_seconds(self) -> int:
        """While no list is loaded, the next S3 attempt is at most this far away."""
        return max(1, math.ceil(min(self._refresh_seconds, DEGRADED_RETRY_SECONDS)))

    def status(self) -> TickerStatus:
        age = None if self._loaded_at is None else self._clock() - self._loaded_at
        current = self._list
        if current is None:
            return TickerStatus(self._source, 0, self._etag, age)
        return TickerStatus(
            self._source, len(current), self._etag, age, current.source, current.as_of
        )
