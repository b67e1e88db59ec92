"""template.yaml's rollout dashboard: what an operator watches, named as the app writes it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from config_api.observability.emf_names import (
    ERRORS,
    LATENCY,
    REQUESTS,
    ROLLOUT_DIMENSIONS,
    ROLLOUT_VARIANTS,
    rollout_dimensions,
)
from config_api.observability.metrics import EVENTS
from tests.support.template import function, load_template, resources_of


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def dashboard(template: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The dashboard's widgets (its ${...} placeholders as <...> markers) and variables."""
    (board,) = resources_of(template, "AWS::CloudWatch::Dashboard").values()
    body, variables = board["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets: list[dict[str, Any]] = json.loads(re.sub(r"\$\{([^}]+)\}", r"<\1>", body))["widgets"]
    return widgets, variables


def test_dashboard_reads_the_metrics_as_the_app_writes_them(template: dict[str, Any]) -> None:
    widgets, variables = dashboard(template)
    # The function's EMF namespace, spelled the same way.
    env = function(template)["Environment"]["Variables"]
    assert variables["Namespace"] == env["METRICS_NAMESPACE"]
    emf_names = {REQUESTS, ERRORS, LATENCY} | {emf for _, emf, _ in EVENTS.values()}
    (http429,) = resources_of(template, "AWS::Logs::MetricFilter").values()
    access_log_metric = http429["Properties"]["MetricTransformations"][0]["MetricName"]
    shown: dict[str, set[str]] = {}  # app metric → the variants shown
    for widget in widgets:
        for line in widget["properties"].get("metrics", []):
            if line[0] != "<Namespace>":
                continue  # an expression, or an AWS namespace
            name, dimensions = line[1], [part for part in line[2:] if isinstance(part, str)]
            if name == access_log_metric:
                assert dimensions == []
                continue
            pairs = dict(zip(dimensions[::2], dimensions[1::2], strict=True))
            assert name in emf_names
            assert tuple(pairs) == ROLLOUT_DIMENSIONS, line
            assert pairs == rollout_dimensions(pairs["variant"])
            shown.setdefault(name, set()).add(pairs["variant"])
    for name in (REQUESTS, ERRORS, LATENCY, "LimitRejections"):
        assert shown[name] == set(ROLLOUT_VARIANTS), name


def test_dashboard_has_what_an_operator_watches(template: dict[str, Any]) -> None:
    widgets, _ = dashboard(template)
    by_title = {w["properties"]["title"].split(",")[0].split(" per ")[0]: w for w in widgets}
    assert set(by_title) == {
        "Requests",
        "Error rate",
        "Latency p99",
        "Limit rejections",
        "Throttles: DynamoDB",
        "Error-rate alarm (all requests",
    }
    assert by_title["Latency p99"]["properties"]["stat"] == "p99"
    throttled = by_title["Throttles: DynamoDB"]["properties"]["metrics"]
    throttles = {tuple(line[:2]) for line in throttled}
    assert {("AWS/DynamoDB", "ThrottledRequests"), ("AWS/Lambda", "Throttles")} <= throttles
    alarm = by_title["Error-rate alarm (all requests"]
    assert alarm["type"] == "alarm"
    assert alarm["properties"]["alarms"] == ["<ErrorRateAlarm.Arn>"]
    assert "ErrorRateAlarm" in resources_of(template, "AWS::CloudWatch::Alarm")
    rates = by_title["Error rate"]["properties"]["metrics"]
    expressions = [line[0]["expression"] for line in rates if isinstance(line[0], dict)]
    assert expressions == ["100 * FILL(eb, 0) / rb", "100 * FILL(er, 0) / rr"]
