"""Pick users by variant, and read what a server's /metrics says it served (the event
counters of a server in this process: tests/support/metrics.py)."""

from __future__ import annotations

from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families

from config_api.rollout import bucket
from tests.support.api import BASE
from tests.support.stack import new_user

THROTTLED = {
    "service": "dynamodb",  # every operation
    "error": {"statusCode": 400, "code": "ProvisionedThroughputExceededException"},
}


def throttling(probability: float) -> list[dict[str, object]]:
    return [THROTTLED | {"probability": probability}]


def user_in(variant: str, percentage: int) -> str:
    """A fresh user id the flag at `percentage` gives to `variant` (buckets below it are in)."""
    while True:
        user = new_user()
        if (bucket(user) < percentage) == (variant == "resilient"):
            return user


def samples(http: httpx.Client, name: str) -> list[tuple[dict[str, str], float]]:
    resp = http.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=")
    return [
        (s.labels, s.value)
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
        if s.name == name
    ]


def served(http: httpx.Client) -> Counter[str]:
    """Configuration API requests per variant so far, by the server's own metrics."""
    counts: Counter[str] = Counter()
    for labels, value in samples(http, "config_api_http_requests_total"):
        if labels["route"].startswith(BASE):
            counts[labels["variant"]] += int(value)
    return counts
