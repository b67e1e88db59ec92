"""The two variants over HTTP: what a baseline user and a resilient user each experience.

The chaos is deterministic: the emulator re-seeds its dice on every POST of fault rules and
these tests send their requests one at a time, so the same faults hit the same calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import BASE, create
from tests.support.metrics import event
from tests.support.stack import Chaos, api_server, auth, client, settings_for
from tests.support.table import Table
from tests.support.variants import samples, served, throttling, user_in

LIMIT = 3
# Enough quick attempts that 20% throttling cannot reach a resilient user (0.2^8 per call).
PATIENT = {"retry_attempts": 8, "retry_max_backoff_seconds": 0.05, "max_configurations": LIMIT}


@pytest.fixture(scope="module")
def baseline_api(seeded: str) -> Iterator[httpx.Client]:
    with api_server(settings_for(seeded, rollout_percent=0, **PATIENT)) as url, client(url) as h:
        yield h


@pytest.fixture(scope="module")
def resilient_api(seeded: str) -> Iterator[httpx.Client]:
    with api_server(settings_for(seeded, rollout_percent=100, **PATIENT)) as url, client(url) as h:
        yield h


@pytest.fixture(scope="module")
def half_api(seeded: str) -> Iterator[httpx.Client]:
    with api_server(settings_for(seeded, rollout_percent=50, **PATIENT)) as url, client(url) as h:
        yield h


def test_under_throttling_the_baseline_user_sees_errors_the_resilient_user_does_not(
    baseline_api: httpx.Client, resilient_api: httpx.Client, chaos: Chaos
) -> None:
    chaos.faults(throttling(0.2))
    plain, patient = user_in("baseline", 0), user_in("resilient", 100)
    slow = [baseline_api.get(BASE, headers=auth(plain)) for _ in range(40)]
    fast = [resilient_api.get(BASE, headers=auth(patient)) for _ in range(40)]
    assert [r.status_code for r in fast] == [200] * 40
    failed = [r for r in slow if r.status_code != 200]
    assert 2 <= len(failed) <= 20, [r.status_code for r in slow]  # ~20% of 40
    for resp in failed:  # the precise problem a client can act on, not a 500
        assert resp.status_code == 429
        assert resp.json()["code"] == "throttled"
        assert int(resp.headers["Retry-After"]) >= 1
    # Only the resilient variant retries.
    assert event(resilient_api, "aws_retries_total", variant="resilient") > 0
    assert event(baseline_api, "aws_retries_total") == 0


def test_the_baseline_count_then_write_keeps_the_limit_for_one_client(
    baseline_api: httpx.Client, table: Table
) -> None:
    user = user_in("baseline", 0)
    made = [create(baseline_api, user) for _ in range(LIMIT)]
    assert [r.status_code for r in made] == [201] * LIMIT
    refused = create(baseline_api, user)
    assert refused.status_code == 409
    assert (refused.json()["max_allowed"], refused.json()["current_count"]) == (LIMIT, LIMIT)
    assert table.counter(user) is None  # the resilient counter is not left behind
    gone = made[0].headers["Location"]
    assert baseline_api.delete(gone, headers=auth(user)).status_code == 204
    assert baseline_api.delete(gone, headers=auth(user)).status_code == 404
    # The Idempotency-Key contract holds in the baseline too, even at the limit.
    first = create(baseline_api, user, key="k-1")
    assert first.status_code == 201
    again = create(baseline_api, user, key="k-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert create(baseline_api, user, key="k-1", name="Other").status_code == 422
    assert len(table.config_ids(user)) == LIMIT
    listed = baseline_api.get(BASE, headers=auth(user)).json()
    assert len(listed["configurations"]) == LIMIT


def test_a_user_moving_between_variants_keeps_an_exact_counter(
    baseline_api: httpx.Client, resilient_api: httpx.Client, table: Table
) -> None:
    user = user_in("baseline", 0)  # the same user, served by either server's rules
    assert create(resilient_api, user).status_code == 201
    assert table.counter(user) == 1
    assert create(baseline_api, user).status_code == 201
    assert table.counter(user) is None  # dropped: the resilient side counts again
    assert create(resilient_api, user).status_code == 201
    assert table.counter(user) == 3  # initialised from the two stored, plus this one
    full = create(resilient_api, user)
    assert (full.status_code, full.json()["current_count"]) == (409, 3)
    one = table.config_ids(user)[0]
    assert baseline_api.delete(f"{BASE}/{one}", headers=auth(user)).status_code == 204
    assert table.counter(user) is None
    assert create(resilient_api, user).status_code == 201
    assert table.counter(user) == len(table.config_ids(user)) == 3


def test_metrics_are_per_variant_by_route_template(half_api: httpx.Client) -> None:
    users = {"baseline": user_in("baseline", 50), "resilient": user_in("resilient", 50)}
    before = served(half_api)
    for user in users.values():
        made = [create(half_api, user, key=f"key-{n}") for n in range(LIMIT)]
        assert [r.status_code for r in made] == [201] * LIMIT
        assert create(half_api, user, key="key-0").headers["Idempotent-Replayed"] == "true"
        assert create(half_api, user).status_code == 409
        assert half_api.get(made[0].headers["Location"], headers=auth(user)).status_code == 200
    after = served(half_api)
    for variant in users:
        assert after[variant] - before[variant] == LIMIT + 3
        assert event(half_api, "limit_rejections_total", variant=variant) >= 1
        assert event(half_api, "idempotent_replays_total", variant=variant) >= 1
        assert event(half_api, "configuration_creates_total", variant=variant, outcome="created")
    requests = samples(half_api, "config_api_http_requests_total")
    routes = {labels["route"] for labels, _ in requests}
    assert {BASE, f"{BASE}/{{config_id}}", "/metrics"} <= routes  # templates, never ids
    conflict = [
        labels
        for labels, _ in requests
        if labels["status"] == "409" and labels["variant"] == "baseline"
    ]
    assert conflict and all(labels["status_class"] == "4xx" for labels in conflict)
    latency = samples(half_api, "config_api_http_request_duration_seconds_count")
    timed = {labels["variant"] for labels, value in latency if labels["route"] == BASE and value}
    assert timed == {"baseline", "resilient"}
    assert any(
        labels["le"] == "+Inf"
        for labels, _ in samples(half_api, "config_api_http_request_duration_seconds_bucket")
    )
