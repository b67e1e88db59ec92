"""The AppConfig client behind the rollout flag: one HTTP attempt per fetch, explicit timeouts.

botocore would otherwise retry a failed fetch itself (a second retry layer under the
source's own "keep the last rules, try again after max_age") and wait up to its default
60 s read timeout. The AppConfig Data API is played by a local HTTP server that counts the
requests it gets; the client is pointed at it by AWS_ENDPOINT_URL in the settings only (not
in the environment, where botocore would find it by itself), as every client of ours is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from config_api.rollout import rules_for
from config_api.rollout.sources import AppConfigSource, source_from_settings
from config_api.settings import Settings

HANG_GUARD_SECONDS = 20  # far over the 0.2 s read timeout, far under botocore's default 60 s


class FailingAppConfig(BaseHTTPRequestHandler):
    """Answers every request with a 500: at once, or (stalled) only when the test is over."""

    requests: list[str]
    stall: bool
    over: threading.Event
    url: str

    def _answer(self) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        if type(self).stall:
            type(self).over.wait(2 * HANG_GUARD_SECONDS)
        body = b'{"Message": "simulated"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", "InternalServerException")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture(params=[False, True], ids=["500", "stalled"])
def appconfig(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[FailingAppConfig]]:
    fields = {"requests": [], "stall": request.param, "over": threading.Event()}
    handler: type[FailingAppConfig] = type("Handler", (FailingAppConfig,), fields)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_port}"
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_APPCONFIGDATA"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    try:
        yield handler
    finally:
        handler.over.set()
        server.shutdown()
        server.server_close()


def test_a_failed_fetch_is_one_request_and_keeps_the_rules(
    appconfig: type[FailingAppConfig], caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        ROLLOUT_APPCONFIG_APP="config-api",
        ROLLOUT_APPCONFIG_ENV="prod",
        ROLLOUT_APPCONFIG_PROFILE="rollout",
        ROLLOUT_PERCENT=7,
        AWS_READ_TIMEOUT=0.2,
        AWS_CONNECT_TIMEOUT=0.2,  # without the endpoint it would try AWS: fail fast then
        AWS_ENDPOINT_URL=appconfig.url,
    )
    source = source_from_settings(settings, writable=False)
    assert isinstance(source, AppConfigSource)
    got: list[dict[str, Any]] = []
    with caplog.at_level(logging.WARNING):
        # A hang guard only: a stalled endpoint is left by the configured read timeout, not
        # botocore's default 60 s (three times over, with its retries).
        fetch = threading.Thread(target=lambda: got.append(source.get_configuration()))
        fetch.start()
        fetch.join(HANG_GUARD_SECONDS)
        assert not fetch.is_alive(), "the fetch outlived its read timeout"
    assert got == [rules_for(7)]  # ROLLOUT_PERCENT until a fetch works
    # One attempt: the session start failed, so nothing more was asked.
    assert appconfig.requests == ["POST /configurationsessions"]
    assert [r for r in caplog.records if r.getMessage().startswith("rollout rules unavailable")]
