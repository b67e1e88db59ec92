"""One recording call per request feeds Prometheus, EMF and the observers alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config_api.observability.emf_names import ROLLOUT_DIMENSIONS, SERVICE
from config_api.observability.metrics import Metrics, RequestRecord

ROUTE = "/api/v2/configurations"


def samples(m: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = m.prometheus()[0].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(m: Metrics, name: str, **labels: str) -> float:
    return samples(m).get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_per_route_method_status_and_variant() -> None:
    m = Metrics()
    m.record_request(route=ROUTE, method="POST", status=201, variant="resilient", seconds=0.02)
    m.record_request(route=ROUTE, method="POST", status=429, variant="baseline", seconds=0.003)
    m.record_request(route=ROUTE, method="POST", status=429, variant="baseline", seconds=0.004)
    common = {"route": ROUTE, "method": "POST"}
    name = "config_api_http_requests_total"
    assert value(m, name, **common, status="201", status_class="2xx", variant="resilient") == 1
    assert value(m, name, **common, status="429", status_class="4xx", variant="baseline") == 2
    histogram = "config_api_http_request_duration_seconds"
    assert value(m, f"{histogram}_count", **common, variant="baseline") == 2
    assert value(m, f"{histogram}_bucket", **common, variant="baseline", le="0.005") == 2
    assert value(m, f"{histogram}_bucket", **common, variant="resilient", le="0.01") == 0
    assert value(m, f"{histogram}_bucket", **common, variant="resilient", le="0.025") == 1


def test_events_are_counted_per_variant() -> None:
    m = Metrics()
    m.for_variant("baseline").count("limit_rejections_total")
    m.for_variant("resilient").count(
        "aws_retries_total", dependency="dynamodb", operation="Query", error_code="Throttling"
    )
    assert value(m, "config_api_limit_rejections_total", variant="baseline") == 1
    assert value(m, "config_api_limit_rejections_total", variant="resilient") == 0
    assert (
        value(
            m,
            "config_api_aws_retries_total",
            dependency="dynamodb",
            operation="Query",
            error_code="Throttling",
            variant="resilient",
        )
        == 1
    )
    with pytest.raises(KeyError):
        m.count("not_an_event_total")


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.record_request(route="/health", method="GET", status=200, variant="none", seconds=0.001)
    assert value(first, "config_api_http_requests_total", route="/health", method="GET",
                 status="200", status_class="2xx", variant="none") == 1  # fmt: skip
    assert not any(name == "config_api_http_requests_total" for name, _ in samples(second))


def test_observers_see_every_request() -> None:
    m, seen = Metrics(), list[RequestRecord]()
    m.observe(seen.append)
    m.record_request(route=ROUTE, method="GET", status=503, variant="baseline", seconds=0.5)
    assert seen == [RequestRecord(ROUTE, "GET", 503, "baseline", 0.5)]


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def test_emf_blob_per_flush_with_the_request_dimensions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    m = Metrics(emf_namespace="ConfigApiTest")
    m.flush()  # nothing recorded: nothing written (and no Powertools warning)
    assert emf_lines(capsys.readouterr().out) == []
    m.for_variant("resilient").count(
        "aws_retries_total", dependency="dynamodb", operation="Query", error_code="Throttling"
    )
    m.record_request(route=ROUTE, method="POST", status=503, variant="resilient", seconds=0.25)
    m.flush()
    (blob,) = emf_lines(capsys.readouterr().out)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ConfigApiTest"
    assert set(directive["Dimensions"][0]) == {
        "variant",
        "route",
        "method",
        "status_class",
        "service",
    }
    assert (blob["variant"], blob["route"], blob["method"], blob["status_class"]) == (
        "resilient",
        ROUTE,
        "POST",
        "5xx",
    )
    # Powertools writes each metric as the list of values added in the invocation.
    assert (blob["Requests"], blob["Errors"], blob["Latency"], blob["AwsRetries"]) == (
        [1.0],
        [1.0],
        [250.0],
        [1.0],
    )
    m.flush()  # flushed: the next invocation starts empty
    assert emf_lines(capsys.readouterr().out) == []


def test_without_a_namespace_nothing_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    m = Metrics()
    m.record_request(route=ROUTE, method="GET", status=200, variant="baseline", seconds=0.01)
    m.flush()
    assert emf_lines(capsys.readouterr().out) == []


def test_the_rollout_s_requests_are_also_aggregated_per_variant_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A second dimension set, only for the requests the rollout judges, so the gate reads a
    variant with one query whatever the route, method or status."""
    m = Metrics(emf_namespace="ConfigApiTest")
    m.record_request(route=ROUTE, method="GET", status=200, variant="baseline", seconds=0.01)
    m.flush()
    for route, variant in (("/health", "baseline"), (ROUTE, "none")):
        m.record_request(route=route, method="GET", status=200, variant=variant, seconds=0.01)
        m.flush()
    judged, *others = emf_lines(capsys.readouterr().out)
    assert judged["_aws"]["CloudWatchMetrics"][0]["Dimensions"][1] == list(ROLLOUT_DIMENSIONS)
    assert (judged["service"], judged["variant"]) == (SERVICE, "baseline")
    for blob in others:
        assert len(blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) == 1


def test_unknown_methods_share_one_label_value() -> None:
    m = Metrics()
    for i in range(200):
        m.record_request(route="unmatched", method=f"M{i}", status=405, variant="none", seconds=0)
    m.record_request(route=ROUTE, method="GET", status=200, variant="none", seconds=0)
    methods = {dict(labels).get("method") for _, labels in samples(m)}
    assert methods == {"other", "GET"}
    common = {"route": "unmatched", "status": "405", "status_class": "4xx", "variant": "none"}
    assert value(m, "config_api_http_requests_total", method="other", **common) == 200
