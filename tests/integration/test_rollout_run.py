"""The rollout plan's decisive run: chaos on, flag at 10%, real traffic, then the verdict.

20% of all DynamoDB calls are throttled, and the server runs the shipped retry settings.
Users arrive as they would (fresh ids; the flag puts ~10% of them in the resilient
variant); each creates a configuration and lists theirs. Every resilient arrival is served
until there is a sample; baseline arrivals only until the baseline has enough for the
comparison (serving all of them, ~9 per resilient user, would only make the run slower).
The server's own per-variant stats must show the resilient error rate under 1% and the
baseline's well over it, and the report's verdict on those stats is PROMOTE.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from config_api.observability.metrics import is_error
from config_api.rollout import bucket
from config_api.rollout.report import verdict
from config_api.rollout.snapshot import RolloutSnapshot
from config_api.settings import Settings
from tests.support.api import BASE
from tests.support.stack import Chaos, api_server, auth, client, new_user, settings_for
from tests.support.variants import throttling

PERCENT = 10
THROTTLED = 0.2
# The sample the verdict needs, sized so the shipped policy passes the < 1% bar with room to
# spare and a weaker one does not. With 5 attempts a call fails only when all are throttled:
# 0.2**5 = 0.032%. A user makes ~5 calls (the create's transaction, the first create's
# counter count and set, the transaction again, the list's query), so ~0.08% of requests
# fail: ~0.3 errors expected in 400, where the bar allows 3 (4 would be 1%): P(>= 4) = 4e-4.
# With 3 attempts (0.8% per call) ~8 would be expected, and the run fails. 400 is also over
# the report's own default minimum (200).
MIN_REQUESTS = 400
BASELINE_REQUESTS = 200  # ~1 in 3 fail without retries: a rate far from 1% at this size


def drive(http: httpx.Client) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Traffic until the sample is complete; (arrivals, requests, errors) per variant."""
    arrivals: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    wanted = {"resilient": MIN_REQUESTS, "baseline": BASELINE_REQUESTS}
    while any(requests[v] < n for v, n in wanted.items()):
        user = new_user()
        variant = "resilient" if bucket(user) < PERCENT else "baseline"
        arrivals[variant] += 1
        if requests[variant] >= wanted[variant]:
            continue  # enough of this variant: the arrival is not served
        body = {"name": "Rollout run", "tickers": ["AAPL", "MSFT"]}
        for resp in (
            http.post(BASE, json=body, headers=auth(user)),
            http.get(BASE, headers=auth(user)),
        ):
            assert resp.status_code in (200, 201, 429, 503), resp.text  # no 500s, no 409s
            requests[variant] += 1
            errors[variant] += is_error(resp.status_code)
    return arrivals, requests, errors


def rollout_data(http: httpx.Client) -> dict[str, Any]:
    resp = http.get("/ops/rollout/data", params={"min_requests": MIN_REQUESTS})
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_chaos_at_ten_percent_resilient_under_one_percent_and_promoted(
    seeded: str, chaos: Chaos
) -> None:
    settings = settings_for(seeded, rollout_percent=PERCENT)
    for name in ("retry_attempts", "retry_base_seconds", "retry_max_backoff_seconds"):
        assert getattr(settings, name) == Settings.model_fields[name].default  # as shipped
    chaos.faults(throttling(THROTTLED))
    with api_server(settings) as url, client(url) as http:
        arrivals, requests, errors = drive(http)
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
    assert arrivals["baseline"] > 5 * arrivals["resilient"]  # the flag really is at 10%
    assert variants["resilient"]["error_rate"] < 0.01
    assert variants["baseline"]["error_rate"] > 0.05  # ~1 in 3: no retries, 4-5 calls
    decision, reason = verdict(RolloutSnapshot.model_validate(data), min_requests=MIN_REQUESTS)
    assert decision == "PROMOTE", reason
    assert judged["decision"] == "PROMOTE"
