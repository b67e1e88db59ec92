"""GetMetricData for the emulator, as CloudWatch answers the queries `rollout report` makes.

moto (5.2) falls short in three ways the rollout gate depends on:
- percentile statistics (`p50`, `p99`) are not computed: the response serializer fails on
  the missing value and the client gets a 500;
- a query with dimensions ignores its namespace, so two stacks' (or two tests') metrics of the
  same name and dimensions are mixed;
- it scans every stored datum once per period (a day at one-minute periods is 1,440 scans).

This answers MetricStat queries itself: a datum matches on namespace, name, the exact set of
dimensions and (when given) the unit, as CloudWatch matches; the data fall into periods counted
from StartTime; percentiles are nearest-rank over the raw values (CloudWatch computes them
from the values and counts a metric was published with; statistic sets cannot give them).
A call with a math expression among its queries is left to moto, as before.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.models import CloudWatchBackend, MetricAggregatedDatum, MetricDatum

_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?|100)")
_moto_get_metric_data = CloudWatchBackend.get_metric_data


def statistic(stat: str, data: list[Any]) -> float | None:
    """One statistic over the data of a period; None when the data cannot give it."""
    values = [d.value for d in data if isinstance(d, MetricDatum)]
    sets = [d for d in data if isinstance(d, MetricAggregatedDatum)]
    count = len(values) + sum(s.sample_count for s in sets)
    if count == 0:
        return None
    total = sum(values) + sum(s.sum for s in sets)
    if stat == "SampleCount":
        return float(count)
    if stat == "Sum":
        return float(total)
    if stat == "Average":
        return float(total / count)
    if stat == "Minimum":
        return float(min(values + [s.min for s in sets]))
    if stat == "Maximum":
        return float(max(values + [s.max for s in sets]))
    match = _PERCENTILE.fullmatch(stat)
    if match is None:
        raise ValidationError(f"The statistic {stat} is not supported by the emulator.")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(float(match.group(1)) / 100 * len(ordered)))
    return float(ordered[rank - 1])


def _key(dimensions: list[Any]) -> frozenset[tuple[str, str]]:
    return frozenset((d.name, d.value) for d in dimensions)


def get_metric_data(
    self: Any,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    if any("MetricStat" not in query for query in queries):
        return _moto_get_metric_data(self, queries, start_time, end_time, scan_by)
    start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    stored = [d for d in self.get_all_metrics() if start_time <= d.timestamp < end_time]
    results = []
    for query in queries:
        metric_stat = query["MetricStat"]
        metric = metric_stat["Metric"]
        period = int(metric_stat["Period"])
        wanted = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
        unit = metric_stat.get("Unit")
        periods: dict[int, list[Any]] = {}
        for datum in stored:
            if (
                datum.namespace == metric["Namespace"]
                and datum.name == metric["MetricName"]
                and _key(datum.dimensions) == wanted
                and (unit is None or datum.unit == unit)
            ):
                index = int((datum.timestamp - start_time).total_seconds()) // period
                periods.setdefault(index, []).append(datum)
        points = []
        for index in sorted(periods, reverse=scan_by == "TimestampDescending"):
            value = statistic(metric_stat["Stat"], periods[index])
            if value is not None:
                points.append((start_time + timedelta(seconds=index * period), value))
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {metric_stat['Stat']}",
                    "values": [value for _, value in points],
                    "timestamps": [moment for moment, _ in points],
                    "status_code": "Complete",
                }
            )
    return results


def install() -> None:
    """Replace moto's implementation (process-wide, like moto's own state)."""
    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
