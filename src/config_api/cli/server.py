"""The HTTP server of `config-api serve` and `local`: uvicorn on llhttp (httptools), with a
deadline for each request's headers. Tests run the same configuration in-process.

- llhttp refuses a request with both Content-Length and Transfer-Encoding (400, connection
  closed), as RFC 9112 §6.1 asks; h11, uvicorn's pure-Python parser, reads the chunked body
  and keeps the connection open, so a request smuggled behind it would be served.
- uvicorn has no setting bounding how long a request's headers may take to arrive, nor (on
  llhttp) how large they may be: see HeaderDeadlineProtocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, ClassVar

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from config_api.settings import Settings

TOO_LARGE = b"Request header fields too large."
TOO_LARGE_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
TOO_LARGE_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    + b"".join(name + b": " + value + b"\r\n" for name, value in TOO_LARGE_HEADERS)
    + b"content-length: %d\r\n\r\n%s" % (len(TOO_LARGE), TOO_LARGE)
)


async def headers_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers a request whose headers were complete but too large (then the server closes)."""
    await send({"type": "http.response.start", "status": 431, "headers": TOO_LARGE_HEADERS})
    await send({"type": "http.response.body", "body": TOO_LARGE, "more_body": False})


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's llhttp protocol, closing a connection whose request headers are not complete
    `header_timeout_seconds` after it started waiting for them (connection made, or the
    previous response sent), or exceed `max_header_bytes` (431).

    A subclass because uvicorn offers neither option: `timeout_keep_alive` covers only the
    idle time between requests, and any received byte cancels it, so a client sending its
    headers a byte at a time held a connection open for as long as it liked (ASGI middleware
    never sees a request before its headers are complete); and llhttp buffers headers of any
    size, where h11 stopped at 16 KiB. A late client is cut off silently, as nginx and Go's
    ReadHeaderTimeout do.
    """

    header_timeout_seconds: ClassVar[float] = 10.0
    max_header_bytes: ClassVar[int] = 16_384  # h11's limit, which uvicorn applied before
    _header_deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def data_received(self, data: bytes) -> None:
        waiting = self._header_deadline is not None
        super().data_received(data)
        if waiting and self._header_deadline is not None:  # all of it went into headers
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
                self._disarm_header_deadline()
                self.transport.write(TOO_LARGE_RESPONSE)
                self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size <= self.max_header_bytes:
            super().on_headers_complete()
            return
        # Answered through uvicorn's own request cycle, as it answers over its concurrency
        # limit: the request's body is read and the connection closed properly.
        app, self.app = self.app, headers_too_large
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_response_complete(self) -> None:
        # With a pipelined request queued, its headers are already complete.
        waiting = not self.pipeline
        super().on_response_complete()
        if waiting and not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_bytes = 0
        self._header_deadline = self.loop.call_later(
            self.header_timeout_seconds, self._headers_too_slow
        )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol(settings: Settings) -> type[HeaderDeadlineProtocol]:
    """The protocol class with this deployment's header deadline (uvicorn instantiates it)."""
    return type(
        "ConfigApiHttpProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout_seconds": settings.header_timeout_seconds},
    )


def server_config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, http=protocol(settings), log_level="warning", lifespan="on"
    )


def listeners(config: uvicorn.Config, settings: Settings) -> list[socket.socket]:
    """The API's listening socket and, with OPS_PORT, the operator port's: one server and
    one app behind both, so /metrics and /ops/* see all the API's traffic (the app serves
    them only to requests that came through the operator port)."""
    bound = [config.bind_socket()]
    if settings.ops_port is not None:
        ops = uvicorn.Config(config.app, host=settings.ops_host, port=settings.ops_port)
        bound.append(ops.bind_socket())
    return bound


def run(app: Any, settings: Settings, host: str, port: int) -> None:
    config = server_config(app, settings, host, port)
    # uvicorn re-raises the Ctrl-C it handled once it has shut down; uvicorn.run() swallows
    # it the same way.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=listeners(config, settings))
