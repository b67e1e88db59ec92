"""The two variants the flag chooses between, as the same ConfigService over other parts.

- resilient: the retry policy, the atomic counter-in-a-transaction store, and the ticker
  list with its fallbacks (S3 → bundled → allow-any, as configured).
- baseline: what such services did before: one attempt per AWS call, count-then-write
  (store/count_then_write.py), and the S3 ticker list only (no list: 503).

Nothing else knows about variants: the routes ask the Runtime for the user's service.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config_api.domain.service import ConfigService, Store, TickerValidator
from config_api.observability.metrics import OTHER, Metrics
from config_api.retry.budget import RetryBudget
from config_api.retry.policy import NAMED_RETRIED, RetryPolicy
from config_api.rollout.stats import BASELINE, RESILIENT
from config_api.settings import Settings
from config_api.store import ConfigStore
from config_api.store.count_then_write import CountThenWriteStore
from config_api.store.ticker_object import TickerObject
from config_api.tickers.cache import TickerCache
from config_api.tickers.catalog import Ticker, TickerList

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


class LazyTickers:
    """Loads its list on first use: a process whose users are all resilient never downloads
    the baseline's copy (one S3 read per cold start, not two)."""

    def __init__(self, cache: TickerCache) -> None:
        self.cache = cache
        self._loaded = False
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if not self._loaded:
                self.cache.load()
                self._loaded = True

    def validate(self, symbols: Sequence[str]) -> list[Ticker]:
        if not self._loaded:
            self.load()
        return self.cache.validate(symbols)

    def catalog(self) -> TickerList | None:
        if not self._loaded:
            self.load()
        return self.cache.catalog()


@dataclass(frozen=True)
class Resilient:
    policy: RetryPolicy
    store: ConfigStore
    tickers: TickerCache
    service: ConfigService


@dataclass(frozen=True)
class Baseline:
    policy: RetryPolicy
    store: CountThenWriteStore
    tickers: LazyTickers
    service: ConfigService


def _service(
    settings: Settings, store: Store, tickers: TickerValidator, metrics: Metrics, variant: str
) -> ConfigService:
    return ConfigService(
        store,
        tickers,
        max_allowed=settings.max_configurations,
        idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        recorder=metrics.for_variant(variant),
    )


def resilient(settings: Settings, db: DynamoDBClient, s3: S3Client, metrics: Metrics) -> Resilient:
    recorder = metrics.for_variant(RESILIENT)

    def on_retry(dependency: str, operation: str, attempt: int, error_code: str) -> None:
        # The attempt number is in the log line; as a label it would only multiply series.
        # So would the code of every 5xx: a label value from a closed set.
        code = error_code if error_code in NAMED_RETRIED else OTHER
        recorder.count(
            "aws_retries_total", dependency=dependency, operation=operation, error_code=code
        )

    budget = None
    if settings.retry_circuit_failures:
        budget = RetryBudget(
            failures_to_open=settings.retry_circuit_failures,
            window_seconds=settings.retry_circuit_window_seconds,
            on_change=lambda change: recorder.count(
                "retry_circuit_changes_total", dependency=change.dependency, state=change.state
            ),
        )
    policy = RetryPolicy.from_settings(settings, on_retry=on_retry, budget=budget)
    store = ConfigStore(db, settings.table_name, policy)
    tickers = TickerCache(
        TickerObject(s3, settings.ticker_bucket, settings.ticker_key, policy),
        fallback=settings.ticker_fallback,
        refresh_seconds=settings.ticker_refresh_seconds,
        on_fallback=lambda source: recorder.count("ticker_list_fallbacks_total", source=source),
    )
    return Resilient(policy, store, tickers, _service(settings, store, tickers, metrics, RESILIENT))


def baseline(settings: Settings, db: DynamoDBClient, s3: S3Client, metrics: Metrics) -> Baseline:
    # One attempt: the deadline and Retry-After still come from the same policy class.
    policy = RetryPolicy.from_settings(settings, attempts=1)
    store = CountThenWriteStore(db, settings.table_name, policy)
    tickers = LazyTickers(
        TickerCache(
            TickerObject(s3, settings.ticker_bucket, settings.ticker_key, policy),
            fallback="strict",
            refresh_seconds=settings.ticker_refresh_seconds,
        )
    )
    return Baseline(policy, store, tickers, _service(settings, store, tickers, metrics, BASELINE))
