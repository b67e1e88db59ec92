"""The rollout plan's decisive run: chaos on, flag at 10%, real traffic, then the verdict.

20% of all DynamoDB calls are throttled. Users arrive as they would (fresh ids, the flag
puts ~10% of them in the resilient variant) until enough resilient users have come for a
sample; each creates a configuration and lists theirs. The server's own per-variant stats
must show the resilient error rate under 1% and the baseline's well over it, and the
report's verdict on those stats is PROMOTE.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from config_api.rollout import bucket
from config_api.rollout.report import verdict
from tests.support.stack import Chaos, api_server, auth, client, new_user, settings_for
from tests.support.variants import BASE, throttling

PERCENT = 10
RESILIENT_USERS = 25  # two requests each: 50 resilient requests, ~450 baseline ones
MIN_REQUESTS = 2 * RESILIENT_USERS
# The retry policy as a deployment would tune it for 20% throttling: 8 attempts fail
# together with probability 0.2^8 (3 in a million); short backoffs keep the run quick.
SETTINGS = {
    "rollout_percent": PERCENT,
    "retry_attempts": 8,
    "retry_base_seconds": 0.005,
    "retry_max_backoff_seconds": 0.05,
}


def is_error(status: int) -> bool:
    return status >= 500 or status == 429


def drive(http: httpx.Client) -> tuple[Counter[str], Counter[str]]:
    """Traffic until RESILIENT_USERS resilient users came; (requests, errors) per variant."""
    requests: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    while requests["resilient"] < MIN_REQUESTS:
        user = new_user()
        variant = "resilient" if bucket(user) < PERCENT else "baseline"
        body = {"name": "Rollout run", "tickers": ["AAPL", "MSFT"]}
        for resp in (
            http.post(BASE, json=body, headers=auth(user)),
            http.get(BASE, headers=auth(user)),
        ):
            assert resp.status_code in (200, 201, 429, 503), resp.text  # no 500s, no 409s
            requests[variant] += 1
            errors[variant] += is_error(resp.status_code)
    return requests, errors


def rollout_data(http: httpx.Client) -> dict[str, Any]:
    resp = http.get("/ops/rollout/data", params={"min_requests": MIN_REQUESTS})
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_chaos_at_ten_percent_resilient_under_one_percent_and_promoted(
    seeded: str, chaos: Chaos
) -> None:
    chaos.faults(throttling(0.2))
    with api_server(settings_for(seeded, **SETTINGS)) as url, client(url) as http:
        requests, errors = drive(http)
        chaos.clear()  # the figures are read without faults
        data = rollout_data(http)
    judged = data.pop("verdict")
    assert data["percentage"] == PERCENT
    variants = data["variants"]
    # The server counted exactly what the clients saw.
    for variant in ("baseline", "resilient"):
        assert (variants[variant]["requests"], variants[variant]["errors"]) == (
            requests[variant],
            errors[variant],
        )
    assert requests["baseline"] > 5 * requests["resilient"]  # the flag really is at 10%
    assert variants["resilient"]["error_rate"] < 0.01
    assert variants["baseline"]["error_rate"] > 0.05  # ~1 in 3: no retries, 4-5 calls
    decision, reason = verdict(data, min_requests=MIN_REQUESTS)
    assert decision == "PROMOTE", reason
    assert judged["decision"] == "PROMOTE"
