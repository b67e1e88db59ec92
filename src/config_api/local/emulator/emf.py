"""CloudWatch Logs' part for the emulator: EMF log lines become CloudWatch metric data.

In AWS a Lambda's EMF blobs go to its log group, and CloudWatch Logs extracts the metrics:
for each directive in `_aws.CloudWatchMetrics`, each metric under each of its dimension sets,
the dimension values and metric values read from the blob's top-level keys, at
`_aws.Timestamp` (the Embedded Metric Format specification). Here the same extraction feeds
the emulator's CloudWatch through PutMetricData, so what `rollout report --cloudwatch` reads
locally is what the app itself wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

PUT_BATCH = 500  # PutMetricData takes up to 1,000 metrics per call


def blobs(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The EMF blobs among log lines (JSON objects with an `_aws` metadata key)."""
    for line in lines:
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("_aws"), dict):
            yield document


def metric_data(blob: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(namespace, PutMetricData datum) for every metric of every dimension set in a blob."""
    meta = blob["_aws"]
    timestamp = datetime.fromtimestamp(meta["Timestamp"] / 1000, UTC)
    for directive in meta["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            dimensions = [{"Name": name, "Value": str(blob[name])} for name in dimension_set]
            for metric in directive["Metrics"]:
                raw = blob[metric["Name"]]
                values = raw if isinstance(raw, list) else [raw]
                yield (
                    directive["Namespace"],
                    {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Timestamp": timestamp,
                        "Values": [float(v) for v in values],
                        "Unit": metric.get("Unit", "None"),
                    },
                )


def put(cloudwatch: CloudWatchClient, lines: Iterable[str]) -> int:
    """Extract the metrics of the EMF lines and put them; returns how many data were put."""
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for blob in blobs(lines):
        for namespace, datum in metric_data(blob):
            by_namespace.setdefault(namespace, []).append(datum)
    for namespace, data in by_namespace.items():
        for start in range(0, len(data), PUT_BATCH):
            cloudwatch.put_metric_data(
                Namespace=namespace,
                MetricData=data[start : start + PUT_BATCH],  # type: ignore[arg-type]
            )
    return sum(len(data) for data in by_namespace.values())
