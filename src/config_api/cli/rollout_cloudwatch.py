"""`rollout report --cloudwatch`: per-variant figures from the app's own EMF metrics.

The Lambda writes one EMF blob per invocation (observability/metrics.py); CloudWatch Logs
turns it into metrics, among them Requests, Errors and Latency per variant alone
(observability/emf_names.py: the same names and dimensions, imported, not repeated). One
GetMetricData call reads, per variant, the Requests and Errors sums in about 60 buckets (the
series and, added up, the totals) and the p50/p99 of Latency over the whole window (a
percentile of a window cannot be added up from buckets).

Operator-only (cli/): the Lambda's role has no CloudWatch read permission, and needs none.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from config_api.cli.rollout_snapshots import SnapshotUnavailable
from config_api.domain.errors import DependencyError
from config_api.domain.timestamps import iso_utc
from config_api.observability.emf_names import (
    ERRORS,
    LATENCY,
    LATENCY_UNIT,
    REQUESTS,
    ROLLOUT_VARIANTS,
    rollout_dimensions,
)
from config_api.retry.policy import RetryPolicy
from config_api.rollout.flag import FLAG
from config_api.rollout.snapshot import RolloutSnapshot, SeriesPoint, VariantFigures
from config_api.settings import Settings
from config_api.store.clients import client_config

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

SERIES_POINTS = 60  # the window in about this many buckets


def client(settings: Settings) -> CloudWatchClient:
    """The operator's CloudWatch client (the retry policy is the one retry layer)."""
    config = client_config(settings)
    return boto3.client("cloudwatch", endpoint_url=settings.aws_endpoint_url, config=config)


def _query(
    query_id: str, namespace: str, variant: str, metric: tuple[str, int, str, str | None]
) -> MetricDataQueryTypeDef:
    name, period, stat, unit = metric
    dimensions = [{"Name": k, "Value": v} for k, v in rollout_dimensions(variant).items()]
    metric_stat: dict[str, Any] = {
        "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
        "Period": period,
        "Stat": stat,
    }
    if unit is not None:
        metric_stat["Unit"] = unit
    query: MetricDataQueryTypeDef = {"Id": query_id, "MetricStat": metric_stat}  # type: ignore[typeddict-item]
    return query


def read(
    cloudwatch: CloudWatchClient,
    namespace: str,
    window_seconds: int,
    *,
    policy: RetryPolicy,
    now: datetime | None = None,
) -> RolloutSnapshot:
    """The snapshot of the last `window_seconds` (rounded up to whole buckets), the current
    minute included. `policy`: the one built from settings (RETRY_*), required so that no
    caller falls back to a default policy."""
    now = now or datetime.now(UTC)
    bucket = max(60, math.ceil(window_seconds / SERIES_POINTS / 60) * 60)
    window = math.ceil(window_seconds / bucket) * bucket
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(seconds=window)
    wanted = {
        "requests": (REQUESTS, bucket, "Sum", None),
        "errors": (ERRORS, bucket, "Sum", None),
        "p50_": (LATENCY, window, "p50", LATENCY_UNIT),
        "p99_": (LATENCY, window, "p99", LATENCY_UNIT),
    }
    queries = [
        _query(f"{prefix}{i}", namespace, variant, metric)
        for i, variant in enumerate(ROLLOUT_VARIANTS)
        for prefix, metric in wanted.items()
    ]

    def fetch() -> dict[str, list[tuple[datetime, float]]]:
        found: dict[str, list[tuple[datetime, float]]] = {}
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
        )
        for page in pages:
            for result in page["MetricDataResults"]:
                points = zip(result["Timestamps"], result["Values"], strict=True)
                found.setdefault(result["Id"], []).extend(points)
        return found

    try:
        found = policy.call("cloudwatch", "GetMetricData", fetch)
    except (ClientError, BotoCoreError, DependencyError) as exc:
        raise SnapshotUnavailable(f"CloudWatch GetMetricData failed: {exc}") from exc
    variants: dict[str, VariantFigures] = {}
    series: list[SeriesPoint] = []
    for i, variant in enumerate(ROLLOUT_VARIANTS):
        errors_at = {iso_utc(t, "seconds"): round(v) for t, v in found.get(f"errors{i}", [])}
        for moment, value in found.get(f"requests{i}", []):
            at = iso_utc(moment, "seconds")
            series.append(
                SeriesPoint(
                    start=at, variant=variant, requests=round(value), errors=errors_at.get(at, 0)
                )
            )
        variants[variant] = VariantFigures(
            requests=sum(p.requests for p in series if p.variant == variant),
            errors=sum(errors_at.values()),
            p50_ms=_single(found.get(f"p50_{i}")),
            p99_ms=_single(found.get(f"p99_{i}")),
        )
    return RolloutSnapshot(
        flag=FLAG,
        generated_at=iso_utc(now, "seconds"),
        window_seconds=window,
        bucket_seconds=bucket,
        source=f"CloudWatch namespace {namespace}",
        variants=variants,
        series=sorted(series, key=lambda p: (p.start, p.variant)),
    )


def _single(points: list[tuple[datetime, float]] | None) -> float | None:
    return round(points[0][1], 1) if points else None
