"""In Lambda the rollout page and its data are a 404: a container's own share of the traffic
would give a pipeline a verdict on a random sample (the same reason /metrics is off there)."""

from __future__ import annotations

import json

import pytest

from tests.support.lambda_app import ColdStart, http_event


@pytest.mark.parametrize("path", ["/ops/rollout", "/ops/rollout/data"])
def test_rollout_page_and_data_are_off_in_lambda(cold_start: ColdStart, path: str) -> None:
    resp = cold_start.module.handler(http_event("GET", path, {}), None)
    assert resp["statusCode"] == 404, resp["body"]
    assert resp["headers"]["content-type"] == "application/problem+json"
    assert json.loads(resp["body"])["status"] == 404
