"""An identity-provider outage is a 503 with Retry-After, never "your token is invalid"."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from config_api.auth.tokens import TokenVerifier
from config_api.domain.errors import DependencyUnavailable, Unauthenticated
from config_api.settings import Settings
from tests.support.jwks import rs256_token
from tests.support.stack import free_port

NO_AUTH: dict[str, Any] = {
    "JWT_SECRET": None,
    "JWT_ISSUER": None,
    "JWT_AUDIENCE": None,
    "JWT_LEEWAY_SECONDS": 0,
}


def jwks_verifier(url: str, timeout: float = 0.3) -> TokenVerifier:
    return TokenVerifier(Settings(**NO_AUTH, JWT_JWKS_URL=url, JWT_JWKS_TIMEOUT_SECONDS=timeout))


def closed_url() -> str:
    """A port nothing listens on: the connection is refused."""
    return f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A listening socket that never answers: the kernel accepts, nobody replies."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/.well-known/jwks.json"


@pytest.fixture
def garbage_url() -> Iterator[str]:
    """A JWKS endpoint answering 200 with an HTML error page (a misconfigured proxy)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>502 Bad Gateway</html>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def assert_unavailable(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(DependencyUnavailable) as exc:
        verifier.user_id(token)
    assert exc.value.dependency == "jwks"
    assert exc.value.retry_after is not None and exc.value.retry_after >= 1


def test_jwks_connection_refused_is_unavailable_not_unauthenticated() -> None:
    assert_unavailable(jwks_verifier(closed_url()), rs256_token())


# The guard only catches a hang: without the short timeout urllib waits 30 s.
@pytest.mark.timeout(10)
def test_jwks_that_never_answers_is_unavailable_within_the_timeout(hanging_url: str) -> None:
    assert_unavailable(jwks_verifier(hanging_url), rs256_token())


def test_jwks_answering_garbage_is_unavailable(garbage_url: str) -> None:
    assert_unavailable(jwks_verifier(garbage_url), rs256_token())


def test_garbage_token_is_still_unauthenticated_while_jwks_is_down() -> None:
    # A token that cannot even be parsed is the client's fault whatever the provider does.
    with pytest.raises(Unauthenticated):
        jwks_verifier(closed_url()).user_id("not-a-jwt")


def test_jwks_timeout_setting_is_bounded() -> None:
    with pytest.raises(ValueError):
        Settings(JWT_JWKS_TIMEOUT_SECONDS=0)
    with pytest.raises(ValueError):
        Settings(JWT_JWKS_TIMEOUT_SECONDS=60)


def test_hanging_socket_fixture_really_hangs(hanging_url: str) -> None:
    # Sanity check of the fixture itself: a plain client times out against it.
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(hanging_url, timeout=0.2)
