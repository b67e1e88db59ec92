"""Wiring: settings → clients → both variants, the rollout flag, metrics, token verifier,
the set of deleted users.

Built once per process (once per Lambda container), shared by every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from config_api.auth.deleted_users import DeletedUsers
from config_api.auth.tokens import TokenVerifier
from config_api.domain.errors import DependencyUnavailable
from config_api.domain.service import ConfigService
from config_api.observability.context import deadline_scope
from config_api.observability.metrics import Metrics, RequestRecord
from config_api.retry.policy import RetryPolicy
from config_api.rollout import BASELINE, RESILIENT, RolloutFlag, RolloutStats
from config_api.rollout.sources import source_from_settings
from config_api.rollout.variants import Baseline, baseline, resilient
from config_api.settings import Settings
from config_api.store import ConfigStore
from config_api.store.clients import dynamodb_client, s3_client
from config_api.store.deleted_users import DeletedUserRecords
from config_api.store.readiness import TableProbe
from config_api.tickers.cache import TickerCache

# server: uvicorn, one long-lived process (admin call, /metrics). lambda: one container per
# concurrent request, EMF metrics, and no admin call (it would change one container only).
Mode = Literal["server", "lambda"]


@dataclass
class Runtime:
    settings: Settings
    # The resilient variant's parts (readiness checks them too).
    policy: RetryPolicy
    store: ConfigStore
    tickers: TickerCache
    service: ConfigService
    baseline: Baseline
    verifier: TokenVerifier
    flag: RolloutFlag
    metrics: Metrics
    rollout_stats: RolloutStats
    deleted_users: DeletedUsers
    probe: TableProbe  # /ready's own look at the table
    mode: Mode = "server"

    @classmethod
    def from_settings(cls, settings: Settings, mode: Mode = "server") -> Runtime:
        db, s3 = dynamodb_client(settings), s3_client(settings)
        lam = mode == "lambda"
        metrics = Metrics(
            emf_namespace=settings.metrics_namespace if lam else None, prometheus=not lam
        )
        flag = RolloutFlag(source_from_settings(settings, writable=mode == "server"))
        stats = RolloutStats(percentage=flag.percentage)
        if not lam:  # read by /ops/rollout, server mode only: no Lambda container's is read
            metrics.observe(lambda r: _record_rollout(stats, r))
        good = resilient(settings, db, s3, metrics)
        return cls(
            settings,
            good.policy,
            good.store,
            good.tickers,
            good.service,
            baseline(settings, db, s3, metrics),
            TokenVerifier(settings),
            flag,
            metrics,
            stats,
            DeletedUsers(
                DeletedUserRecords(db, settings.table_name, good.policy),
                refresh_seconds=settings.deleted_users_refresh_seconds,
            ),
            TableProbe(settings),
            mode,
        )

    def start(self) -> None:
        # Lambda caps its init phase at 10 s: the cold-start loads share one budget, after
        # which the fallbacks serve and the background refreshes take over.
        with deadline_scope(self.settings.startup_budget_seconds):
            self.tickers.load()
            self.deleted_users.load()
            if self._baseline_serves():  # someone will be served by the baseline: load now
                self.baseline.tickers.load()

    def _baseline_serves(self) -> bool:
        return self.flag.percentage() < 100

    def service_for(self, user_id: str) -> tuple[str, ConfigService]:
        """The variant (name and service) that serves this user, by the flag's rules now."""
        if self.flag.enabled(user_id):
            return RESILIENT, self.service
        return BASELINE, self.baseline.service

    def readiness(self) -> dict[str, Any]:
        self.probe.check()
        status = self.tickers.status()
        # Every variant that serves users needs its list: a server whose baseline users can
        # create nothing is not ready for them.
        caches = [self.tickers] + ([self.baseline.tickers.cache] if self._baseline_serves() else [])
        for cache in caches:
            if cache.status().source == "none":
                raise DependencyUnavailable(
                    "No ticker list is loaded",
                    dependency="s3",
                    retry_after=cache.retry_after_seconds(),
                )
        return {
            "status": "ready",
            "dynamodb": "ok",
            "tickers": {
                "source": status.source,
                "symbols": status.symbols,
                "list_source": status.origin,
                "as_of": status.as_of and status.as_of.isoformat(),
            },
        }


def _record_rollout(stats: RolloutStats, record: RequestRecord) -> None:
    stats.record(record.route, record.variant, record.status, record.seconds)
