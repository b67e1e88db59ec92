"""Token verification: HS256 with a secret, RS256 via a JWKS URL, and `config-api token`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from config_api.auth.tokens import LOCAL_DEV_SECRET, TokenVerifier, issue_token
from config_api.cli.main import main
from config_api.domain.errors import Unauthenticated
from config_api.settings import Settings

SECRET = "unit-test-secret-with-enough-entropy-for-hs512-0123456789abcdefghijkl"
ISSUER = "https://issuer.example"
AUDIENCE = "config-api"
NO_AUTH: dict[str, Any] = {
    "JWT_SECRET": None,
    "JWT_JWKS_URL": None,
    "JWT_ISSUER": None,
    "JWT_AUDIENCE": None,
    "JWT_LEEWAY_SECONDS": 0,
}


def verifier(**overrides: Any) -> TokenVerifier:
    # Explicit values for every JWT setting, so the environment cannot change the outcome.
    return TokenVerifier(Settings(**{**NO_AUTH, "JWT_SECRET": SECRET, **overrides}))


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "alice", "iat": now, "exp": now + 600, **extra}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rejects(v: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as exc:
        v.user_id(token)
    return exc.value.detail


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_valid_token_gives_its_subject() -> None:
    assert verifier().user_id(issue_token("alice", SECRET)) == "alice"
    assert verifier().user_id(jwt.encode(claims(sub="bob"), SECRET, "HS256")) == "bob"


def test_expired() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 60), SECRET, "HS256")
    assert "expired" in rejects(verifier(), token)
    assert "expired" in rejects(verifier(), issue_token("alice", SECRET, ttl_seconds=-1))


def test_leeway_tolerates_small_clock_skew() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 60), SECRET, "HS256")
    assert verifier(JWT_LEEWAY_SECONDS=300).user_id(token) == "alice"


def test_not_yet_valid() -> None:
    token = jwt.encode(claims(nbf=int(time.time()) + 600), SECRET, "HS256")
    rejects(verifier(), token)


def test_forged_with_another_secret() -> None:
    rejects(verifier(), issue_token("alice", "another-secret-of-the-same-length-0123456789ab"))


def test_tampered_payload_one_character() -> None:
    header, payload, signature = issue_token("alice", SECRET).split(".")
    flipped = payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:]
    rejects(verifier(), f"{header}.{flipped}.{signature}")


def test_tampered_payload_other_subject() -> None:
    # A well-formed payload naming someone else, under alice's valid signature.
    header, _, signature = issue_token("alice", SECRET).split(".")
    payload = b64(json.dumps(claims(sub="mallory")).encode())
    rejects(verifier(), f"{header}.{payload}.{signature}")


def test_alg_none() -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims()).encode())
    rejects(verifier(), f"{header}.{payload}.")


def test_wrong_algorithm_hs512() -> None:
    rejects(verifier(), jwt.encode(claims(), SECRET, "HS512"))


def test_wrong_algorithm_rs256() -> None:
    rejects(verifier(), jwt.encode(claims(), new_rsa_key(), "RS256"))


@pytest.mark.parametrize("missing", ["sub", "exp"])
def test_required_claim_missing(missing: str) -> None:
    body = {k: v for k, v in claims().items() if k != missing}
    rejects(verifier(), jwt.encode(body, SECRET, "HS256"))


@pytest.mark.parametrize(
    "sub",
    ["", 42, "x" * 129, "bad\nuser", "zero\u200bwidth", None, "   ", " alice", "alice ", "\u3000"],
)
def test_unusable_subject(sub: Any) -> None:
    rejects(verifier(), jwt.encode(claims(sub=sub), SECRET, "HS256"))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "..", "Bearer x"])
def test_garbage(garbage: str) -> None:
    rejects(verifier(), garbage)


@pytest.mark.parametrize(
    "extra",
    [
        {"iss": "https://evil.example", "aud": AUDIENCE},
        {"aud": AUDIENCE},
        {"iss": ISSUER, "aud": "someone-else"},
        {"iss": ISSUER},
        {"iss": ISSUER, "aud": ["someone-else"]},
    ],
)
def test_issuer_and_audience_enforced(extra: dict[str, Any]) -> None:
    v = verifier(JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    rejects(v, jwt.encode(claims(**extra), SECRET, "HS256"))


@pytest.mark.parametrize("aud", [AUDIENCE, [AUDIENCE, "other"]])
def test_issuer_and_audience_right(aud: Any) -> None:
    v = verifier(JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    assert v.user_id(jwt.encode(claims(iss=ISSUER, aud=aud), SECRET, "HS256")) == "alice"


def test_not_configured() -> None:
    v = TokenVerifier(Settings(**NO_AUTH))
    assert not v.configured
    rejects(v, issue_token("alice", SECRET))
    rejects(v, issue_token("alice", LOCAL_DEV_SECRET))


class Jwks:
    """A JWKS endpoint on a free local port, publishing the public half of `key` as `kid`."""

    def __init__(self, key: rsa.RSAPrivateKey, kid: str) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.key, self.kid = key, kid


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    endpoint = Jwks(new_rsa_key(), "test-key-1")
    thread = threading.Thread(target=endpoint.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        endpoint.server.shutdown()
        endpoint.server.server_close()


def test_jwks_rs256(jwks: Jwks) -> None:
    v = verifier(JWT_SECRET=None, JWT_JWKS_URL=jwks.url)
    assert v.configured
    token = jwt.encode(claims(sub="carol"), jwks.key, "RS256", headers={"kid": jwks.kid})
    assert v.user_id(token) == "carol"


def test_jwks_with_issuer_and_audience(jwks: Jwks) -> None:
    v = verifier(JWT_SECRET=None, JWT_JWKS_URL=jwks.url, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    good = claims(iss=ISSUER, aud=AUDIENCE)
    assert v.user_id(jwt.encode(good, jwks.key, "RS256", headers={"kid": jwks.kid})) == "alice"
    wrong = claims(iss=ISSUER, aud="other")
    rejects(v, jwt.encode(wrong, jwks.key, "RS256", headers={"kid": jwks.kid}))


def test_jwks_rejects_other_signers(jwks: Jwks) -> None:
    v = verifier(JWT_SECRET=None, JWT_JWKS_URL=jwks.url)
    other = new_rsa_key()
    # Another key claiming the published kid, and an unknown kid.
    rejects(v, jwt.encode(claims(), other, "RS256", headers={"kid": jwks.kid}))
    rejects(v, jwt.encode(claims(), other, "RS256", headers={"kid": "unknown-kid"}))
    # The right key, expired.
    old = claims(exp=int(time.time()) - 60)
    rejects(v, jwt.encode(old, jwks.key, "RS256", headers={"kid": jwks.kid}))


def test_jwks_refuses_hs256_with_the_public_key(jwks: Jwks) -> None:
    # Algorithm confusion: the public key (known to everyone) used as an HMAC secret.
    v = verifier(JWT_SECRET=None, JWT_JWKS_URL=jwks.url)
    public_pem = jwks.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": jwks.kid}).encode())
    payload = b64(json.dumps(claims()).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    rejects(v, f"{header}.{payload}.{b64(signature)}")
    rejects(v, issue_token("alice", SECRET))


def test_cli_token_is_accepted_by_the_local_stack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    assert main(["token", "alice", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    assert verifier(JWT_SECRET=LOCAL_DEV_SECRET).user_id(token) == "alice"
    decoded = jwt.decode(token, LOCAL_DEV_SECRET, algorithms=["HS256"])
    assert decoded["exp"] - decoded["iat"] == 60
    rejects(verifier(), token)  # signed with the local secret, not any other


def test_cli_token_uses_jwt_secret_when_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert main(["token", "dave"]) == 0
    assert verifier().user_id(capsys.readouterr().out.strip()) == "dave"
