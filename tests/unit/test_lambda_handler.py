"""The Lambda entry point, invoked as Lambda would: synthetic API Gateway HTTP API v2 events."""

from __future__ import annotations

import gc
import json
import uuid

import pytest

from tests.support.api import BASE
from tests.support.lambda_app import ADMIN_TOKEN, ColdStart, http_event, s3_reads
from tests.support.stack import new_user, token


def test_handler_serves_the_app_and_reuses_the_runtime(cold_start: ColdStart, seeded: str) -> None:
    handler, runtime = cold_start.module.handler, cold_start.module.runtime
    # The import was the cold start: one download of the ticker list.
    assert s3_reads(seeded) == cold_start.s3_reads_before + 1
    assert runtime.tickers.status().source == "s3"
    user = new_user()
    bearer = {"authorization": f"Bearer {token(user)}"}

    created = handler(
        http_event(
            "POST",
            BASE,
            {**bearer, "content-type": "application/json"},
            {"name": "Tech", "tickers": ["aapl", "msft"]},
        ),
        None,
    )
    assert created["statusCode"] == 201, created["body"]
    config = json.loads(created["body"])
    assert [t["symbol"] for t in config["tickers"]] == ["AAPL", "MSFT"]
    assert created["headers"]["location"] == f"{BASE}/{config['config_id']}"

    listed = handler(http_event("GET", BASE, bearer), None)
    assert listed["statusCode"] == 200
    assert listed["headers"]["content-type"] == "application/json"
    assert json.loads(listed["body"])["configurations"] == [config]

    # Two invocations later: the same Runtime, and no further ticker download.
    assert cold_start.module.app.state.runtime is runtime
    assert s3_reads(seeded) == cold_start.s3_reads_before + 1


def test_init_leaves_the_collector_on_with_the_init_objects_frozen(cold_start: ColdStart) -> None:
    assert gc.isenabled()
    # The app, its runtime and their parts: in the permanent generation, scanned by no
    # collection during invocations.
    assert gc.get_freeze_count() > 100_000
    runtime = cold_start.module.runtime
    assert all(tracked is not runtime for tracked in gc.get_objects())


def test_handler_rejects_a_request_without_token(cold_start: ColdStart) -> None:
    for _ in range(2):
        resp = cold_start.module.handler(http_event("GET", BASE, {}), None)
        assert resp["statusCode"] == 401
        assert resp["headers"]["content-type"] == "application/problem+json"
        assert resp["isBase64Encoded"] is False  # problem+json goes out as text
        assert json.loads(resp["body"])["code"] == "unauthenticated"
        assert resp["headers"]["www-authenticate"].startswith("Bearer")


def test_each_invocation_writes_one_emf_blob(
    cold_start: ColdStart, capsys: pytest.CaptureFixture[str]
) -> None:
    """CloudWatch EMF on stdout, flushed when the invocation ends, with the request's route
    template, method, status class and variant as dimensions."""
    handler = cold_start.module.handler
    user = new_user()
    capsys.readouterr()
    listed = handler(http_event("GET", BASE, {"authorization": f"Bearer {token(user)}"}), None)
    assert listed["statusCode"] == 200
    missing = handler(http_event("GET", f"{BASE}/{uuid.uuid4()}", {}), None)
    assert missing["statusCode"] == 401
    blobs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert len(blobs) == 2
    (directive,) = blobs[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ConfigApi"
    first = {k: blobs[0][k] for k in ("route", "method", "status_class", "variant", "Requests")}
    assert first == {
        "route": BASE,
        "method": "GET",
        "status_class": "2xx",
        "variant": "resilient",  # ROLLOUT_PERCENT defaults to 100
        "Requests": [1.0],
    }
    # No token: no user, so no variant; the path's id never becomes a dimension value.
    assert (blobs[1]["route"], blobs[1]["variant"], blobs[1]["Errors"]) == (
        f"{BASE}/{{config_id}}",
        "none",
        [0.0],
    )


def test_no_prometheus_endpoint_and_no_admin_call_in_lambda(cold_start: ColdStart) -> None:
    """A container's own counters and an in-memory percentage would mislead: EMF and the
    ROLLOUT_PERCENT setting (or AppConfig) are Lambda's sources of truth."""
    handler = cold_start.module.handler
    assert handler(http_event("GET", "/metrics", {}), None)["statusCode"] == 404
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}
    put = http_event("PUT", "/ops/rollout/flag", admin, {"percentage": 0})
    assert handler(put, None)["statusCode"] == 404
    assert cold_start.module.runtime.flag.percentage() == 100
