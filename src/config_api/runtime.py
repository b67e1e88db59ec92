"""Wiring: settings → clients → store, ticker cache, service, token verifier.

Built once per process (once per Lambda container), shared by every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config_api import metrics
from config_api.auth import TokenVerifier
from config_api.aws import dynamodb_client, s3_client
from config_api.errors import DependencyUnavailable
from config_api.retry import RetryPolicy
from config_api.service import ConfigService
from config_api.settings import Settings
from config_api.store import ConfigStore
from config_api.tickers.cache import TickerCache


@dataclass
class Runtime:
    settings: Settings
    policy: RetryPolicy
    store: ConfigStore
    tickers: TickerCache
    service: ConfigService
    verifier: TokenVerifier

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        policy = RetryPolicy(
            attempts=settings.retry_attempts,
            base_seconds=settings.retry_base_seconds,
            max_backoff_seconds=settings.retry_max_backoff_seconds,
            on_retry=_count_retry,
        )
        store = ConfigStore(dynamodb_client(settings), settings.table_name, policy)
        tickers = TickerCache(
            s3_client(settings),
            settings.ticker_bucket,
            settings.ticker_key,
            policy,
            fallback=settings.ticker_fallback,
            refresh_seconds=settings.ticker_refresh_seconds,
            on_fallback=lambda source: metrics.count("ticker_list_fallbacks_total", source=source),
        )
        service = ConfigService(
            store,
            tickers,
            max_allowed=settings.max_configurations,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        )
        return cls(settings, policy, store, tickers, service, TokenVerifier(settings))

    def start(self) -> None:
        self.tickers.load()

    def readiness(self) -> dict[str, Any]:
        self.store.ping()
        status = self.tickers.status()
        if status.source == "none":
            raise DependencyUnavailable(
                "No ticker list is loaded",
                dependency="s3",
                retry_after=self.tickers.retry_after_seconds(),
            )
        return {
            "status": "ready",
            "dynamodb": "ok",
            "tickers": {"source": status.source, "symbols": status.symbols},
        }


def _count_retry(dependency: str, operation: str, attempt: int, error_code: str) -> None:
    # The attempt number is in the log line; as a label it would only multiply series.
    metrics.count(
        "aws_retries_total", dependency=dependency, operation=operation, error_code=error_code
    )
