"""Over HTTP: with the identity provider down, a request is a 503 with Retry-After."""

from __future__ import annotations

import httpx

from tests.support.stack import api_server, free_port, settings_for
from tests.unit.test_auth_jwks import rs256_token


def test_jwks_outage_over_http_is_503_with_retry_after(seeded: str) -> None:
    jwks_url = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"  # connection refused
    settings = settings_for(seeded, jwt_secret=None, jwt_jwks_url=jwks_url)
    with api_server(settings) as url:
        resp = httpx.get(
            f"{url}/api/v2/configurations",
            headers={"Authorization": f"Bearer {rs256_token()}"},
            timeout=30,
        )
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "service_unavailable"
    assert int(resp.headers["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in resp.headers
