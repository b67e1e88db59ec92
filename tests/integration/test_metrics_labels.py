"""Metric label values come from closed sets, whatever clients send."""

from __future__ import annotations

from http import HTTPMethod

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.stack import Chaos, api_server, auth, client, new_user, settings_for

# Methods the HTTP parser accepts that no route has (WebDAV, RTSP, caching...): each one
# would have been a series of its own.
EXOTIC = ["PROPFIND", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT"]
RETRIED_5XX = [
    {
        "service": "dynamodb",
        "operation": "Query",
        "probability": 0.5,
        "error": {"statusCode": 500, "code": f"Made-Up-{i}"},
    }
    for i in range(10)
]


def label_values(http: httpx.Client, label: str) -> set[str]:
    text = http.get("/metrics").text
    return {
        s.labels[label]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if label in s.labels
    }


def test_methods_no_route_has_are_other(api: httpx.Client) -> None:
    for method in EXOTIC:
        assert api.request(method, "/health").status_code in (400, 405)
    methods = label_values(api, "method")
    assert methods <= {m.value for m in HTTPMethod} | {"other"}, methods
    assert "other" in methods


def test_aws_error_codes_nobody_knows_are_other(seeded: str, chaos: Chaos) -> None:
    chaos.faults(RETRIED_5XX)  # any 5xx is retried, whatever code it carries
    with api_server(settings_for(seeded)) as url, client(url) as http:
        for _ in range(10):
            http.get("/api/v2/configurations", headers=auth(new_user()))
        codes = label_values(http, "error_code")
    assert codes and not {c for c in codes if c.startswith("Made-Up")}, codes
    assert "other" in codes
