"""The configurations API over HTTP against the emulator: CRUD, isolation, 404s, operations.

401s and 400s are in test_configurations_errors.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import httpx
import pytest

from tests.support.api import BASE, created, listed
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user

FIELDS = {
    "config_id",
    "name",
    "tickers",
    "timeframe_days",
    "include_extended_hours",
    "created_at",
    "updated_at",
}
AAPL = {"symbol": "AAPL", "name": "Apple Inc.", "exchange": "NASDAQ"}
NOT_FOUND = "configuration_not_found"
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def moment(stamp: str) -> datetime:
    assert UTC_Z.match(stamp), stamp
    return datetime.fromisoformat(stamp)


def test_crud_journey_for_two_users(api: httpx.Client) -> None:
    alice, bob = new_user(), new_user()
    assert listed(api, alice) == [] and listed(api, bob) == []
    assert api.get(BASE, headers=auth(alice)).json()["max_allowed"] == 5

    first = created(
        api, alice, name="  Big Tech  ", tickers=["aapl", "MSFT"], include_extended_hours=True
    )
    assert set(first) == FIELDS
    assert str(uuid.UUID(first["config_id"])) == first["config_id"]
    assert first["name"] == "Big Tech"
    assert first["tickers"][0] == AAPL
    assert [t["symbol"] for t in first["tickers"]] == ["AAPL", "MSFT"]
    assert all(set(t) == {"symbol", "name", "exchange"} for t in first["tickers"])
    assert (first["timeframe_days"], first["include_extended_hours"]) == (7, True)
    assert moment(first["created_at"]) == moment(first["updated_at"])

    second = created(api, alice, name="Banks", tickers=["JPM"], timeframe_days=365)
    bobs = created(api, bob, name="Bob's", tickers=["BRK-B"])
    assert second["timeframe_days"] == 365 and not second["include_extended_hours"]

    # Newest first, and each user sees only their own.
    assert listed(api, alice) == [second, first]
    assert listed(api, bob) == [bobs]

    url = f"{BASE}/{first['config_id']}"
    got = api.get(url, headers=auth(alice))
    assert got.status_code == 200 and got.json() == first

    patched = api.patch(url, json={"name": "Renamed"}, headers=auth(alice))
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["name"] == "Renamed"
    assert {k: v for k, v in after.items() if k not in ("name", "updated_at")} == {
        k: v for k, v in first.items() if k not in ("name", "updated_at")
    }
    assert moment(after["updated_at"]) > moment(first["updated_at"])
    assert api.get(url, headers=auth(alice)).json() == after

    retick = api.patch(
        url, json={"tickers": ["nvda"], "timeframe_days": 30}, headers=auth(alice)
    ).json()
    assert [t["symbol"] for t in retick["tickers"]] == ["NVDA"]
    assert (retick["name"], retick["timeframe_days"], retick["include_extended_hours"]) == (
        "Renamed",
        30,
        True,
    )
    assert listed(api, alice) == [second, retick]

    deleted = api.delete(url, headers=auth(alice))
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(api.get(url, headers=auth(alice)), 404, NOT_FOUND)
    assert_problem(api.delete(url, headers=auth(alice)), 404, NOT_FOUND)
    assert_problem(api.patch(url, json={"name": "Back"}, headers=auth(alice)), 404, NOT_FOUND)
    assert listed(api, alice) == [second]
    assert listed(api, bob) == [bobs]


def test_other_users_configuration_is_invisible(api: httpx.Client) -> None:
    owner, other = new_user(), new_user()
    config = created(api, owner, name="Mine")
    url = f"{BASE}/{config['config_id']}"
    created(api, other, name="Theirs")

    assert_problem(api.get(url, headers=auth(other)), 404, NOT_FOUND)
    assert_problem(api.patch(url, json={"name": "Stolen"}, headers=auth(other)), 404, NOT_FOUND)
    assert_problem(api.delete(url, headers=auth(other)), 404, NOT_FOUND)
    # Exactly as if it did not exist: same answer as for an id nobody has.
    unknown = api.get(f"{BASE}/{uuid.uuid4()}", headers=auth(other))
    probe = api.get(url, headers=auth(other))
    strip = ("detail", "message", "correlation_id")
    assert {k: v for k, v in probe.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }

    assert api.get(url, headers=auth(owner)).json() == config
    assert config["config_id"] not in {c["config_id"] for c in listed(api, other)}
    assert listed(api, owner) == [config]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "config_id",
    [
        str(uuid.uuid4()),
        "abc",
        "%2E%2E",  # ".." as the id itself
        "..%2Fx",  # "../x" without the client resolving it
        "x" * 1000,
        "%00",
        str(uuid.uuid4()).upper().replace("-", ""),
    ],
)
def test_unknown_or_malformed_id_is_404(api: httpx.Client, method: str, config_id: str) -> None:
    user = new_user()
    created(api, user)  # the user exists and has data; the id still does not match
    body = {"name": "x"} if method == "PATCH" else None
    resp = api.request(method, f"{BASE}/{config_id}", headers=auth(user), json=body)
    # "../x" cannot match the route at all: the router's own 404, still problem+json.
    assert_problem(resp, 404, "not_found" if "%2F" in config_id else "configuration_not_found")


def test_symbols_are_normalised(api: httpx.Client) -> None:
    user = new_user()
    config = created(api, user, tickers=["aapl", " msft "])
    assert [t["symbol"] for t in config["tickers"]] == ["AAPL", "MSFT"]
    brk = created(api, user, tickers=["BRK-B", "brk/a"])
    assert [t["symbol"] for t in brk["tickers"]] == ["BRK.B", "BRK.A"]
    assert brk["tickers"][0]["exchange"] == "NYSE"
    stored = api.get(f"{BASE}/{brk['config_id']}", headers=auth(user)).json()
    assert stored["tickers"] == brk["tickers"]
    patched = api.patch(
        f"{BASE}/{config['config_id']}", json={"tickers": ["brk.b"]}, headers=auth(user)
    )
    assert [t["symbol"] for t in patched.json()["tickers"]] == ["BRK.B"]


def test_unicode_name_round_trips(api: httpx.Client) -> None:
    user = new_user()
    config = created(api, user, name="Café ☕ 株")
    assert config["name"] == "Café ☕ 株"
    assert api.get(f"{BASE}/{config['config_id']}", headers=auth(user)).json() == config


def test_health(api: httpx.Client) -> None:
    resp = api.get("/health")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_ready(api: httpx.Client) -> None:
    resp = api.get("/ready")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["dynamodb"] == "ok"
    assert body["tickers"]["source"] == "s3"
    assert body["tickers"]["symbols"] > 4000


def test_openapi_documents_the_contract(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths[BASE]) == {"get", "post"}
    assert set(paths[f"{BASE}/{{config_id}}"]) == {"get", "put", "patch", "delete"}
    assert {"/health", "/ready"} <= set(paths)
    assert set(paths["/api/v2/tickers/search"]) == set(paths["/api/v2/tickers/validate"]) == {"get"}
    schemas = doc["components"]["schemas"]
    assert schemas["TickerOut"]["required"] == ["symbol", "name", "exchange"]
    assert schemas["TickerOut"]["properties"]["exchange"] == {
        "$ref": "#/components/schemas/Exchange"
    }
    assert schemas["Exchange"]["enum"] == [
        "NASDAQ", "NYSE", "NYSE American", "NYSE Arca", "Cboe BZX", "IEX", "Unknown"
    ]  # fmt: skip
    # Every reference resolves, and validation errors are documented as 400 problem+json only.
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', api.get("/openapi.json").text))
    assert refs <= set(schemas), refs - set(schemas)
    assert "HTTPValidationError" not in schemas
    for path in paths.values():
        for operation in path.values():
            for status in ("400", "422"):
                if status in operation["responses"]:
                    content = operation["responses"][status]["content"]
                    assert set(content) == {"application/problem+json"}, (status, content)
    assert set(schemas["Problem"]["required"]) >= {"title", "status", "detail", "message", "code"}


def test_docs_page(api: httpx.Client) -> None:
    resp = api.get("/docs")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in resp.text


@pytest.mark.parametrize("header", ["X-Correlation-ID", "X-Request-ID"])
def test_correlation_id_is_echoed(api: httpx.Client, header: str) -> None:
    user, cid = new_user(), f"corr-{uuid.uuid4()}"
    ok = api.get(BASE, headers={**auth(user), header: cid})
    assert ok.status_code == 200 and ok.headers["X-Correlation-ID"] == cid
    missing = api.get(f"{BASE}/{uuid.uuid4()}", headers={**auth(user), header: cid})
    assert_problem(missing, 404, NOT_FOUND)
    assert missing.json()["correlation_id"] == cid
    unauthenticated = api.get(BASE, headers={header: cid})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["correlation_id"] == cid
    assert unauthenticated.headers["X-Correlation-ID"] == cid


def test_correlation_id_is_generated_when_absent_or_unsafe(api: httpx.Client) -> None:
    user = new_user()
    plain = api.get(BASE, headers=auth(user)).headers["X-Correlation-ID"]
    unsafe = api.get(BASE, headers={**auth(user), "X-Correlation-ID": "a b\tc" + "x" * 200})
    for cid in (plain, unsafe.headers["X-Correlation-ID"]):
        assert str(uuid.UUID(cid)) == cid
