"""Cold start: the loads share a time budget (Lambda's init phase is capped at 10 s), and
readiness covers every variant that serves users."""

from __future__ import annotations

import json
import urllib.request

import pytest

from config_api.runtime import Runtime
from tests.support.problems import assert_problem
from tests.support.stack import Chaos, api_server, client, settings_for


def get_object_requests(endpoint: str) -> int:
    with urllib.request.urlopen(f"{endpoint}/_emulator/requests", timeout=10) as resp:
        counts: dict[str, dict[str, int]] = json.loads(resp.read())
    return counts.get("s3", {}).get("GetObject", 0)


@pytest.mark.parametrize(("budget", "attempts"), [(1.0, 1), (9.0, 5)])
def test_a_stalled_s3_costs_the_cold_start_at_most_its_budget(
    seeded: str, chaos: Chaos, budget: float, attempts: int
) -> None:
    # Every AWS answer comes after 2 s, beyond the 0.3 s read timeout: S3 (and DynamoDB) stall.
    chaos.latency(2000)
    settings = settings_for(
        seeded, aws_read_timeout=0.3, aws_connect_timeout=1.0, startup_budget_seconds=budget
    )
    runtime = Runtime.from_settings(settings)
    before = get_object_requests(seeded)
    runtime.start()
    # One attempt takes up to 1.3 s (connect + read timeout): within a 1 s budget only the
    # first starts; with 9 s every attempt the policy allows runs. Counted, not timed.
    assert get_object_requests(seeded) - before == attempts
    assert runtime.tickers.status().source == "bundled"


def test_a_baseline_server_without_its_list_is_not_ready(seeded: str, chaos: Chaos) -> None:
    chaos.faults([{"service": "s3", "error": {"statusCode": 503, "code": "ServiceUnavailable"}}])
    # Everyone on the baseline (S3-only list): with S3 down at start, no create can succeed.
    with api_server(settings_for(seeded, rollout_percent=0)) as url, client(url) as http:
        ready = http.get("/ready")
        assert_problem(ready, 503)
        assert int(ready.headers["Retry-After"]) >= 1
    # The resilient variant's bundled fallback serves: that server is ready.
    with api_server(settings_for(seeded, rollout_percent=100)) as url, client(url) as http:
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["tickers"]["source"] == "bundled"
