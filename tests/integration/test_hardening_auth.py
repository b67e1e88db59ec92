"""Identity, CORS and logs over HTTP: hostile tokens, user ids from elsewhere, origins, leaks."""

from __future__ import annotations

import base64
import io
import json
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from config_api.observability.log import logger, user_ref
from tests.support.api import BASE, raw_headers
from tests.support.logs import captured_logs
from tests.support.problems import assert_problem
from tests.support.stack import (
    TEST_SECRET,
    api_server,
    auth,
    client,
    new_user,
    settings_for,
    token,
)
from tests.support.table import Table

VALID = {"name": "Tech", "tickers": ["AAPL"]}
ISSUER, AUDIENCE = "https://issuer.example", "config-api"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(user: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": user, "iat": now, "exp": now + 600, **extra}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def assert_401(resp: httpx.Response) -> None:
    assert_problem(resp, 401, "unauthenticated")
    assert resp.headers["www-authenticate"].startswith("Bearer")


NONE_HEADER = b'{"alg":"none","typ":"JWT"}'


def hs512(payload: dict[str, Any]) -> str:
    with warnings.catch_warnings():  # the test secret is short for HS512; that is the point
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, TEST_SECRET, algorithm="HS512")


def hostile_tokens(user: str) -> dict[str, str]:
    good = token(user)
    header, payload, signature = good.split(".")
    other_payload = token("someone-else").split(".")[1]
    now = int(time.time())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "alg-none": f"{b64(NONE_HEADER)}.{b64(json.dumps(claims(user)).encode())}.",
        "alg-none-keeping-signature": f"{b64(NONE_HEADER)}.{payload}.{signature}",
        "hs512-same-secret": hs512(claims(user)),
        "rs256-own-key": jwt.encode(claims(user), rsa_key, algorithm="RS256"),
        "hs256-other-secret": jwt.encode(claims(user), "x" * 64, algorithm="HS256"),
        "expired": token(user, exp=now - 5),
        "not-yet-valid": token(user, nbf=now + 300),
        "no-expiry": jwt.encode({"sub": user}, TEST_SECRET, algorithm="HS256"),
        "tampered-payload": f"{header}.{other_payload}.{signature}",
        "tampered-signature": f"{header}.{payload}.{signature[:-2]}AA",
        "empty-subject": token(""),
        "blank-subject": token("   "),
        "padded-subject": token(f" {user} "),
        "garbage": "not.a.token",
    }


CASES = list(hostile_tokens("probe"))


@pytest.mark.parametrize("case", CASES)
def test_hostile_tokens_are_401(api: httpx.Client, case: str) -> None:
    user = new_user()
    hostile = hostile_tokens(user)[case]
    assert_401(api.get(BASE, headers=bearer(hostile)))
    assert_401(api.post(BASE, json=VALID, headers=bearer(hostile)))
    assert api.get(BASE, headers=auth(user)).json()["configurations"] == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
    ids=["none", "basic", "empty-bearer"],
)
def test_missing_bearer_token_is_401(api: httpx.Client, headers: dict[str, str]) -> None:
    assert_401(api.get(BASE, headers=headers))


@pytest.fixture(scope="module")
def strict_api(seeded: str) -> Iterator[httpx.Client]:
    """A server that also checks the issuer and the audience (as deployed with Cognito)."""
    settings = settings_for(seeded, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    with api_server(settings) as url, client(url) as http:
        yield http


@pytest.mark.parametrize(
    "extra",
    [
        {"iss": "https://evil.example", "aud": AUDIENCE},
        {"iss": ISSUER + "/", "aud": AUDIENCE},
        {"iss": ISSUER, "aud": "another-app"},
        {"iss": ISSUER, "aud": [f"{AUDIENCE}-x"]},
        {"aud": AUDIENCE},
        {"iss": ISSUER},
    ],
    ids=["other-issuer", "issuer-slash", "other-audience", "audience-list", "no-iss", "no-aud"],
)
def test_wrong_issuer_or_audience_is_401(strict_api: httpx.Client, extra: dict[str, Any]) -> None:
    assert_401(strict_api.get(BASE, headers=bearer(token(new_user(), **extra))))


def test_right_issuer_and_audience_are_accepted(strict_api: httpx.Client) -> None:
    for aud in (AUDIENCE, [AUDIENCE, "other"]):
        resp = strict_api.get(BASE, headers=bearer(token(new_user(), iss=ISSUER, aud=aud)))
        assert resp.status_code == 200, resp.text


def test_deleted_user(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `config-api users delete`, the user's still-valid token is 401 (once the server
    has refreshed its set of deleted users) and every item of theirs is gone."""
    from config_api.cli.main import main

    settings = settings_for(seeded, deleted_users_refresh_seconds=0.1)
    table = Table(settings)
    user, bystander = new_user(), new_user()
    headers = auth(user)  # issued before the deletion, valid for an hour
    with api_server(settings) as url, client(url) as http:
        created = http.post(BASE, json=VALID, headers=headers | {"Idempotency-Key": "k-1"})
        assert created.status_code == 201, created.text
        assert http.post(BASE, json=VALID, headers=auth(bystander)).status_code == 201
        config, idempotency = "CONFIG#" + created.json()["config_id"], "IDEMPOTENCY#"
        stored = table.sort_keys(f"USER#{user}")
        assert config in stored and "META" in stored
        assert any(sk.startswith(idempotency) for sk in stored)

        monkeypatch.setenv("AWS_ENDPOINT_URL", seeded)
        monkeypatch.setenv("TABLE_NAME", settings.table_name)
        assert main(["users", "delete", user, "--yes", "--sweep-after", "0"]) == 0

        give_up = time.monotonic() + 10  # a hang guard, not a timing assertion
        while (resp := http.get(BASE, headers=headers)).status_code == 200:
            assert time.monotonic() < give_up, "the deletion was never picked up"
            time.sleep(0.02)
        assert_401(resp)
        assert resp.json()["detail"] == "The user no longer exists"
        assert_401(http.post(BASE, json=VALID, headers=headers))
        assert_401(http.get(f"{BASE}/{created.json()['config_id']}", headers=headers))
        assert table.sort_keys(f"USER#{user}") == []  # nothing was stored again either

        others = http.get(BASE, headers=auth(bystander))
        assert (others.status_code, len(others.json()["configurations"])) == (200, 1)


def test_user_id_comes_only_from_the_verified_token(api: httpx.Client) -> None:
    victim, attacker = new_user(), new_user()
    victims = api.post(BASE, json=VALID, headers=auth(victim)).json()
    spoof = {"X-User-Id": victim, "X-Forwarded-User": victim, "X-Amzn-Oidc-Identity": victim}
    seen = api.get(BASE, params={"user_id": victim, "sub": victim}, headers=auth(attacker) | spoof)
    assert seen.json()["configurations"] == []
    got = api.get(
        f"{BASE}/{victims['config_id']}", params={"user_id": victim}, headers=auth(attacker)
    )
    assert got.status_code == 404
    # A user id in the body is not a field of the contract: rejected, nothing stored anywhere.
    resp = api.post(BASE, json={**VALID, "user_id": victim}, headers=auth(attacker) | spoof)
    assert resp.status_code == 400
    assert [e["field"] for e in resp.json()["errors"]] == ["body.user_id"]
    assert [
        c["config_id"] for c in api.get(BASE, headers=auth(victim)).json()["configurations"]
    ] == [victims["config_id"]]
    assert api.get(BASE, headers=auth(attacker)).json()["configurations"] == []


# -- CORS -----------------------------------------------------------------------------------
DASH, EVIL = "https://dash.example", "https://evil.example"


def preflight(http: httpx.Client, origin: str) -> httpx.Response:
    return http.options(
        BASE,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match, content-type",
        },
    )


def test_no_cors_headers_by_default(api: httpx.Client) -> None:
    assert "access-control-allow-origin" not in preflight(api, DASH).headers
    resp = api.get(BASE, headers=auth(new_user()) | {"Origin": DASH})
    assert resp.status_code == 200
    assert not [h for h in resp.headers if h.startswith("access-control-")]


def test_cors_allows_only_the_configured_origins(seeded: str) -> None:
    with api_server(settings_for(seeded, cors_allow_origins=[DASH])) as url, client(url) as http:
        allowed = preflight(http, DASH)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == DASH
        assert "PATCH" in allowed.headers["access-control-allow-methods"]
        assert "if-match" in allowed.headers["access-control-allow-headers"].lower()
        actual = http.get(BASE, headers=auth(new_user()) | {"Origin": DASH})
        assert actual.headers["access-control-allow-origin"] == DASH
        assert "etag" in actual.headers["access-control-expose-headers"].lower()

        # An unlisted origin is answered as if CORS were off: OPTIONS is no route (405).
        denied = preflight(http, EVIL)
        assert denied.status_code == 405
        assert not [h for h in denied.headers if h.startswith("access-control-")]
        other = http.get(BASE, headers=auth(new_user()) | {"Origin": EVIL})
        assert not [h for h in other.headers if h.startswith("access-control-")]


# -- logs -----------------------------------------------------------------------------------
@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The service's log output, rendered by its own (Powertools JSON) formatter."""
    with captured_logs() as logs:
        yield logs.buffer


HOSTILE = 'ZQ\u202e\u0000\n\r\t\u2028"\\<x>'  # control, bidi override, line separator, quotes


def test_logs_hold_no_tokens_no_user_ids_and_no_raw_user_strings(
    api: httpx.Client, log_lines: io.StringIO
) -> None:
    user = new_user()
    headers = auth(user)
    created = api.post(BASE, json=VALID, headers=headers | {"Idempotency-Key": "key-" + user})
    assert created.status_code == 201
    api.get(f"{BASE}/{HOSTILE.encode().hex()}", params={"q": HOSTILE}, headers=headers)
    api.post(BASE, json={"name": HOSTILE, "tickers": [HOSTILE]}, headers=headers)
    api.post(BASE, json=VALID, headers=raw_headers(headers, "X-Correlation-ID", b"ZQ\xe2\x80\xae"))
    api.get(BASE, headers=bearer(token(user, exp=int(time.time()) - 1)))

    output = log_lines.getvalue()
    assert output, "the requests above were logged"
    records = [json.loads(line) for line in output.splitlines()]  # one JSON object a line
    assert all(line.isascii() and line.isprintable() for line in output.splitlines())
    secrets = [headers["Authorization"].split()[1], user, "key-" + user, TEST_SECRET, "ZQ"]
    assert not [s for s in secrets if s in output]
    assert any(r.get("user") == user_ref(user) for r in records)  # the hashed ref instead


def test_user_strings_that_are_logged_are_escaped(log_lines: io.StringIO) -> None:
    for value in (HOSTILE, "lone \ud800 surrogate", "😀"):
        logger.warning("probe", extra={"value": value})
    # Other threads (a server of another test finishing) may log meanwhile: keep the probes.
    lines = [line for line in log_lines.getvalue().splitlines() if '"probe"' in line]
    assert len(lines) == 3
    assert all(line.isascii() and line.isprintable() for line in lines)
    assert [json.loads(line)["value"] for line in lines] == [
        HOSTILE,
        "lone \ud800 surrogate",
        "😀",
    ]
