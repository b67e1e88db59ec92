"""OPS_PORT keeps /metrics and /ops/* private in server mode: they are served on that port
only (bound to OPS_HOST, 127.0.0.1 by default), and the API's port answers them 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.stack import api_server, auth, client, free_port, new_user, settings_for

ADMIN = "ops-port-admin-token-0123456789"
OPERATOR_ROUTES = ["/metrics", "/ops/rollout", "/ops/rollout/data"]


@dataclass
class Ports:
    api: httpx.Client
    ops: httpx.Client


@pytest.fixture(scope="module")
def ports(seeded: str) -> Iterator[Ports]:
    ops_port = free_port()
    settings = settings_for(seeded, ops_port=ops_port, admin_token=ADMIN)
    with (
        api_server(settings) as url,
        client(url) as api,
        client(f"http://127.0.0.1:{ops_port}") as ops,
    ):
        yield Ports(api, ops)


@pytest.mark.parametrize("path", OPERATOR_ROUTES)
def test_operator_routes_are_not_on_the_api_port(ports: Ports, path: str) -> None:
    resp = ports.api.get(path)
    assert resp.status_code == 404, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert ports.ops.get(path).status_code == 200


def test_the_admin_call_is_not_on_the_api_port(ports: Ports) -> None:
    change, admin = {"percentage": 100}, {"Authorization": f"Bearer {ADMIN}"}
    assert ports.api.put("/ops/rollout/flag", json=change, headers=admin).status_code == 404
    assert ports.ops.put("/ops/rollout/flag", json=change, headers=admin).status_code == 200


def test_the_ops_port_sees_the_api_port_s_traffic(ports: Ports) -> None:
    assert ports.api.get("/api/v2/configurations", headers=auth(new_user())).status_code == 200
    assert ports.api.get("/health").status_code == 200
    text = ports.ops.get("/metrics").text
    assert 'route="/api/v2/configurations"' in text
    data = ports.ops.get("/ops/rollout/data", params={"window_seconds": 60}).json()
    assert data["variants"]
