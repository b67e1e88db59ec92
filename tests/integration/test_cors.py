"""CORS with credentials for the listed origins, nothing for the others (HTTP, real server)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from config_api.settings import Settings
from tests.support.stack import api_server, auth, client, new_user, settings_for

DASHBOARD = "https://dash.example.com"
OTHER = "https://evil.example.com"
CONFIGS = "/api/v2/configurations"
REQUEST_HEADERS = "authorization, content-type, idempotency-key, if-match, x-correlation-id"
EXPOSED = {
    "ETag",
    "Location",
    "Retry-After",
    "X-Correlation-ID",
    "Idempotent-Replayed",
    "Configuration-Deleted",
}


@pytest.fixture(scope="module")
def cors_api(seeded: str) -> Iterator[httpx.Client]:
    settings = settings_for(seeded, cors_allow_origins=[DASHBOARD, "http://127.0.0.1:9"])
    with api_server(settings) as url, client(url) as http:
        yield http


def cors_headers(resp: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.headers.items() if k.lower().startswith("access-control")}


def preflight(api: httpx.Client, origin: str, method: str, headers: str) -> httpx.Response:
    return api.options(
        f"{CONFIGS}/{'0' * 8}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_a_listed_origins_preflight_allows_credentials_methods_and_headers(
    cors_api: httpx.Client, method: str
) -> None:
    resp = preflight(cors_api, DASHBOARD, method, REQUEST_HEADERS)
    assert resp.status_code == 200, resp.text
    found = cors_headers(resp)
    assert found["access-control-allow-origin"] == DASHBOARD
    assert found["access-control-allow-credentials"] == "true"
    assert method in found["access-control-allow-methods"].split(", ")
    allowed = {h.lower() for h in found["access-control-allow-headers"].split(", ")}
    assert set(REQUEST_HEADERS.split(", ")) <= allowed
    assert "Origin" in resp.headers["Vary"]


def test_a_listed_origins_responses_carry_credentials_and_exposed_headers(
    cors_api: httpx.Client,
) -> None:
    user = new_user()
    headers = auth(user) | {"Origin": DASHBOARD}
    created = cors_api.post(CONFIGS, json={"name": "x", "tickers": ["SPY"]}, headers=headers)
    refused = cors_api.get(CONFIGS, headers={"Origin": DASHBOARD})  # no token: a problem
    for resp, status in ((created, 201), (refused, 401)):
        assert resp.status_code == status, resp.text
        found = cors_headers(resp)
        assert found["access-control-allow-origin"] == DASHBOARD
        assert found["access-control-allow-credentials"] == "true"
        assert set(found["access-control-expose-headers"].split(", ")) == EXPOSED


def test_an_unlisted_origin_gets_no_cors_headers(cors_api: httpx.Client) -> None:
    assert cors_headers(preflight(cors_api, OTHER, "GET", "authorization")) == {}
    resp = cors_api.get(CONFIGS, headers=auth(new_user()) | {"Origin": OTHER})
    assert resp.status_code == 200, resp.text
    assert cors_headers(resp) == {}
    assert "Origin" in resp.headers["Vary"]  # a cache must not serve it to a listed origin
    same_origin = cors_api.get(CONFIGS, headers=auth(new_user()))  # no Origin: no CORS
    assert cors_headers(same_origin) == {}


def test_a_header_or_method_outside_the_lists_fails_the_preflight(cors_api: httpx.Client) -> None:
    assert preflight(cors_api, DASHBOARD, "GET", "x-secret").status_code == 400
    assert preflight(cors_api, DASHBOARD, "TRACE", "authorization").status_code == 400


def test_a_wildcard_origin_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="CORS_ALLOW_ORIGINS must list origins, not '\\*'"):
        Settings(cors_allow_origins=[DASHBOARD, "*"])
