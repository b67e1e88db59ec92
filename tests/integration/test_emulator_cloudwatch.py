"""The emulator's CloudWatch: GetMetricData as the rollout gate queries it, and EMF extraction.

moto alone fails a percentile query with a 500 and mixes namespaces for a query with
dimensions (local/emulator/cloudwatch.py says why it answers MetricStat queries itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from config_api.local.emulator import emf
from config_api.observability.emf_names import REQUEST_DIMENSIONS, ROLLOUT_DIMENSIONS
from config_api.observability.metrics import Metrics

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
DIMENSIONS = [{"Name": "service", "Value": "config-api"}, {"Name": "variant", "Value": "x"}]


@pytest.fixture
def cloudwatch(seeded: str) -> Iterator[CloudWatchClient]:
    client = boto3.client("cloudwatch", endpoint_url=seeded)
    yield client
    client.close()


def namespace() -> str:
    return f"test/{uuid.uuid4().hex[:8]}"


def query(ns: str, stat: str, period: int, dimensions: list[dict[str, str]] = DIMENSIONS) -> Any:
    metric = {"Namespace": ns, "MetricName": "Latency", "Dimensions": dimensions}
    return {"Id": "q", "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}


def get(cloudwatch: CloudWatchClient, *queries: Any, minutes: int = 10) -> dict[str, Any]:
    found = cloudwatch.get_metric_data(
        MetricDataQueries=list(queries),
        StartTime=T0,
        EndTime=T0 + timedelta(minutes=minutes),
        ScanBy="TimestampAscending",
    )
    return {r["Id"]: (r["Timestamps"], r["Values"]) for r in found["MetricDataResults"]}


def put(
    cloudwatch: CloudWatchClient, ns: str, values: list[float], counts: list[float], minute: int = 0
) -> None:
    cloudwatch.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": DIMENSIONS,  # type: ignore[typeddict-item]
                "Timestamp": T0 + timedelta(minutes=minute, seconds=5),
                "Values": values,
                "Counts": counts,
                "Unit": "Milliseconds",
            }
        ],
    )


def test_percentiles_are_nearest_rank_over_values_and_counts(cloudwatch: CloudWatchClient) -> None:
    ns = namespace()
    put(cloudwatch, ns, [10.0, 20.0, 500.0], [90, 9, 1])  # 100 samples
    for stat, expected in (("p50", 10.0), ("p90", 10.0), ("p91", 20.0), ("p99", 20.0),
                           ("p100", 500.0), ("Sum", 1580.0), ("SampleCount", 100.0),
                           ("Average", 15.8), ("Maximum", 500.0), ("Minimum", 10.0)):  # fmt: skip
        (_, values) = get(cloudwatch, query(ns, stat, 600))["q"]
        assert values == [pytest.approx(expected)], stat


def test_periods_count_from_the_start_and_empty_ones_are_left_out(
    cloudwatch: CloudWatchClient,
) -> None:
    ns = namespace()
    put(cloudwatch, ns, [1.0], [3], minute=0)
    put(cloudwatch, ns, [1.0], [4], minute=2)
    timestamps, values = get(cloudwatch, query(ns, "Sum", 60))["q"]
    assert values == [3.0, 4.0]
    assert [t.astimezone(UTC) for t in timestamps] == [T0, T0 + timedelta(minutes=2)]


def test_a_query_matches_its_namespace_and_exactly_its_dimensions(
    cloudwatch: CloudWatchClient,
) -> None:
    ns, other = namespace(), namespace()
    put(cloudwatch, ns, [1.0], [1])
    put(cloudwatch, other, [1.0], [5])
    assert get(cloudwatch, query(ns, "Sum", 600))["q"][1] == [1.0]
    assert get(cloudwatch, query(other, "Sum", 600))["q"][1] == [5.0]
    assert get(cloudwatch, query(ns, "Sum", 600, DIMENSIONS[:1]))["q"][1] == []  # a subset


def test_the_app_s_emf_becomes_metrics_under_each_dimension_set(
    cloudwatch: CloudWatchClient,
) -> None:
    ns = namespace()
    metrics = Metrics(emf_namespace=ns)
    route = "/api/v2/configurations"
    out = StringIO()
    with redirect_stdout(out):
        for status in (201, 503):
            metrics.record_request(route=route, method="POST", status=status, variant="x",
                                   seconds=0.02)  # fmt: skip
            metrics.flush()
        metrics.record_request(route=route, method="POST", status=201, variant="resilient",
                               seconds=0.04)  # fmt: skip
        metrics.flush()
    lines = out.getvalue().splitlines()
    blob = next(emf.blobs(lines))
    extracted = list(emf.metric_data(blob))
    # Variant "x" is not one the rollout judges: the request dimensions only.
    assert {tuple(d["Name"] for d in datum["Dimensions"]) for _, datum in extracted} == {
        (*REQUEST_DIMENSIONS, "service")
    }
    assert emf.put(cloudwatch, lines) == 3 * 3 + 3  # 3 metrics each; the judged one twice
    dimensions = [{"Name": "service", "Value": "config-api"}]
    judged = [*dimensions, {"Name": "variant", "Value": "resilient"}]
    assert [d["Name"] for d in judged] == list(ROLLOUT_DIMENSIONS)
    requests = query(ns, "Sum", 600, judged)
    requests["MetricStat"]["Metric"]["MetricName"] = "Requests"
    latency = query(ns, "p99", 600, judged) | {"Id": "latency"}
    found = get(cloudwatch, requests, latency, minutes=20)  # the blobs are stamped now
    assert found["q"][1] == [1.0]
    assert found["latency"][1] == [pytest.approx(40.0)]
