"""Over HTTP: with the identity provider down, a request is a 503 with Retry-After."""

from __future__ import annotations

import httpx

from tests.support.jwks import rs256_token
from tests.support.problems import assert_problem
from tests.support.stack import api_server, free_port, settings_for


def test_jwks_outage_over_http_is_503_with_retry_after(seeded: str) -> None:
    jwks_url = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"  # connection refused
    settings = settings_for(seeded, jwt_secret=None, jwt_jwks_url=jwks_url)
    with api_server(settings) as url:
        resp = httpx.get(
            f"{url}/api/v2/configurations",
            headers={"Authorization": f"Bearer {rs256_token()}"},
            timeout=30,
        )
    assert_problem(resp, 503, "service_unavailable")
    assert int(resp.headers["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in resp.headers
