"""Metrics: one recording API, exported as Prometheus text (server) and CloudWatch EMF (Lambda).

- `Metrics.record_request(...)`: called once per request, by the request middleware only;
  it feeds the Prometheus registry, the EMF blob and the observers (the rollout stats).
- `Metrics.count(name, **labels)`: the events inside a request (retries, ticker fallbacks,
  create outcomes, limit rejections, idempotent replays), each under a variant label.

Each `Metrics` has its own CollectorRegistry (not the global default), so a process can
build many apps. EMF is written only when a namespace is given (Lambda), one blob per
invocation: the request's dimensions apply to every event counted during it. Prometheus is
fed only where it is read (server mode): in Lambda nobody scrapes a container, so
prometheus_client is not even imported there (the `server` extra installs it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPMethod
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.metrics import Metrics as EmfMetrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

from config_api.observability.emf_names import (
    ERRORS,
    LATENCY,
    LATENCY_UNIT,
    REQUEST_DIMENSIONS,
    REQUESTS,
    SERVICE,
    judged_by_rollout,
    rollout_dimensions,
)

PREFIX = "config_api_"
NO_VARIANT = "none"  # requests that never reached a variant: unauthenticated, /health...
# Label values come from closed sets: a method outside HTTP's own is "other" (each one a
# client sends would otherwise be a series of its own).
OTHER = "other"
HTTP_METHODS = frozenset(m.value for m in HTTPMethod)
# Event name → (label names, EMF metric name, help).
EVENTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "aws_retries_total": (
        ("dependency", "operation", "error_code", "variant"),
        "AwsRetries",
        "AWS calls repeated by the retry policy",
    ),
    "retry_circuit_changes_total": (
        ("dependency", "state", "variant"),
        "RetryCircuitChanges",
        "Retry circuit state changes (open: one attempt per call; closed: retries allowed)",
    ),
    "ticker_list_fallbacks_total": (
        ("source", "variant"),
        "TickerListFallbacks",
        "Ticker list degraded from S3 to a fallback",
    ),
    "configuration_creates_total": (
        ("outcome", "variant"),
        "ConfigurationCreates",
        "Configuration creates by outcome (created, replayed, an error code)",
    ),
    "limit_rejections_total": (
        ("variant",),
        "LimitRejections",
        "Creates refused at the configuration limit",
    ),
    "idempotent_replays_total": (
        ("variant",),
        "IdempotentReplays",
        "Creates answered from an Idempotency-Key record",
    ),
}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Recorder(Protocol):
    """What the service, retry policy and ticker cache count events with."""

    def count(self, name: str, **labels: str) -> None: ...


@dataclass(frozen=True)
class RequestRecord:
    route: str  # the route template, e.g. /api/v2/configurations/{config_id}
    method: str
    status: int
    variant: str
    seconds: float


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def is_error(status: int) -> bool:
    """A failure as users feel it: 5xx and throttling (429). The one definition: the EMF
    Errors metric, the rollout stats and the rollout tests all count by it."""
    return status >= 500 or status == 429


class _Prometheus:
    """The Prometheus side: a registry of its own with the request and event series."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"{PREFIX}http_requests",
            "HTTP requests by route template, method, status and variant",
            ("route", "method", "status", "status_class", "variant"),
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{PREFIX}http_request_duration_seconds",
            "HTTP request latency by route template, method and variant",
            ("route", "method", "variant"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events = {
            name: Counter(f"{PREFIX}{name}", doc, labels, registry=self.registry)
            for name, (labels, _, doc) in EVENTS.items()
        }

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class Metrics:
    def __init__(
        self, *, emf_namespace: str | None = None, service: str = SERVICE, prometheus: bool = True
    ) -> None:
        self._prometheus = _Prometheus() if prometheus else None
        self._emf: EmfMetrics | None = None
        if emf_namespace is not None:
            # Its own provider: Powertools' Metrics otherwise shares state between instances.
            provider = AmazonCloudWatchEMFProvider(namespace=emf_namespace, service=service)
            self._emf = EmfMetrics(namespace=emf_namespace, service=service, provider=provider)
        self._observers: list[Callable[[RequestRecord], None]] = []

    def observe(self, observer: Callable[[RequestRecord], None]) -> None:
        """Also hand every recorded request to `observer` (e.g. the rollout stats)."""
        self._observers.append(observer)

    def for_variant(self, variant: str) -> Recorder:
        return _VariantRecorder(self, variant)

    def count(self, name: str, **labels: str) -> None:
        """One event; `labels` must be exactly the event's label names."""
        names, emf_name, _ = EVENTS[name]
        if self._prometheus is not None:
            self._prometheus.events[name].labels(*(labels[n] for n in names)).inc()
        if self._emf is not None:
            self._emf.add_metric(name=emf_name, unit=MetricUnit.Count, value=1)

    def record_request(
        self, *, route: str, method: str, status: int, variant: str, seconds: float
    ) -> None:
        """The one call per request (from the request middleware)."""
        method = method if method in HTTP_METHODS else OTHER
        record = RequestRecord(route, method, status, variant, seconds)
        cls = status_class(status)
        if self._prometheus is not None:
            self._prometheus.requests.labels(route, method, str(status), cls, variant).inc()
            self._prometheus.latency.labels(route, method, variant).observe(seconds)
        if self._emf is not None:
            values = dict(zip(REQUEST_DIMENSIONS, (variant, route, method, cls), strict=True))
            for name, value in values.items():
                self._emf.add_dimension(name=name, value=value)
            if judged_by_rollout(route, variant):  # also per variant alone: the rollout gate
                self._emf.add_dimensions(**rollout_dimensions(variant))
            self._emf.add_metric(name=REQUESTS, unit=MetricUnit.Count, value=1)
            self._emf.add_metric(name=ERRORS, unit=MetricUnit.Count, value=int(is_error(status)))
            self._emf.add_metric(name=LATENCY, unit=LATENCY_UNIT, value=seconds * 1e3)
        for observer in self._observers:
            observer(record)

    @property
    def registry(self) -> CollectorRegistry:
        """The Prometheus registry (LookupError where none is kept: Lambda)."""
        if self._prometheus is None:
            raise LookupError("this process does not keep Prometheus metrics")
        return self._prometheus.registry

    def prometheus(self) -> tuple[bytes, str]:
        """The exposition text and its content type (LookupError without Prometheus)."""
        if self._prometheus is None:
            raise LookupError("this process does not keep Prometheus metrics")
        return self._prometheus.exposition()

    def flush(self) -> None:
        """Write the EMF blob of this invocation to stdout (Lambda ships it to CloudWatch)."""
        if self._emf is not None and self._emf.provider.metric_set:
            self._emf.flush_metrics()


class _VariantRecorder:
    def __init__(self, metrics: Metrics, variant: str) -> None:
        self._metrics, self._variant = metrics, variant

    def count(self, name: str, **labels: str) -> None:
        self._metrics.count(name, variant=self._variant, **labels)
