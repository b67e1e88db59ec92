"""The error map is the one place that turns exceptions into statuses and headers."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from starlette.requests import Request

from config_api.api import error_map
from config_api.domain import errors

API = Path(error_map.__file__).parent


def request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": []})


def test_idempotency_key_in_flight_is_409_with_retry_after() -> None:
    exc = errors.IdempotencyInProgress("A request with this Idempotency-Key is in flight")
    resp = error_map.domain_error(request(), exc)
    assert resp.status_code == 409
    assert resp.headers["Retry-After"] == "1"
    assert json.loads(bytes(resp.body))["code"] == "idempotency_in_progress"


@pytest.mark.parametrize(
    "exc",
    [
        errors.LimitReached(5, 5),
        errors.VersionMismatch("stale"),
        errors.ConfigurationNotFound("x"),
        errors.IdempotencyKeyReused("other body"),
    ],
)
def test_errors_a_retry_cannot_fix_have_no_retry_after(exc: errors.ConfigApiError) -> None:
    assert "Retry-After" not in error_map.domain_error(request(), exc).headers


def test_not_available_here_is_a_plain_404() -> None:
    resp = error_map.domain_error(request(), errors.NotAvailableHere())
    assert resp.status_code == 404
    assert resp.headers["content-type"] == error_map.PROBLEM_JSON
    assert json.loads(bytes(resp.body))["code"] == "not_found"


@pytest.mark.parametrize(
    "module", sorted(p.name for p in API.glob("*.py") if p.name != "error_map.py")
)
def test_no_route_module_picks_a_status_by_raising_http_exception(module: str) -> None:
    # Statuses come from domain exceptions via the map; an HTTPException would bypass it.
    tree = ast.parse((API / module).read_text())
    raised = [
        ast.unparse(node.exc)
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise) and node.exc is not None
    ]
    assert not [r for r in raised if "HTTPException" in r], raised
