"""What a server in this process counted, read from its own Prometheus registry."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from config_api.observability.metrics import PREFIX
from config_api.runtime import Runtime
from tests.support.servers import served_app


def total(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """The sum of `config_api_<name>` over the series in `registry` that carry `labels`."""
    wanted = set(labels.items())
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == f"{PREFIX}{name}" and wanted <= set(sample.labels.items())
    )


def metric(http: httpx.Client, name: str, **labels: str) -> float:
    """`total` in the registry of `http`'s server (one started with `api_server`/`serve` in
    this process)."""
    runtime: Runtime = served_app(str(http.base_url)).state.runtime
    return total(runtime.metrics.registry, name, **labels)


def event(http: httpx.Client, name: str, **labels: str) -> int:
    """An event counter (e.g. `aws_retries_total`) as a whole number."""
    return int(metric(http, name, **labels))
