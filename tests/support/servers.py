"""Servers in this process: a free port, and an ASGI app under uvicorn in a thread.

`api_server` remembers the app it serves by URL, so a test can read that server's own
Prometheus registry (tests/support/metrics.py) without an exporter.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from config_api.api.app import create_app
from config_api.cli.server import listeners, server_config
from config_api.runtime import Runtime
from config_api.settings import Settings

START_SECONDS = 30
_served: dict[str, FastAPI] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    app: ASGIApp, settings: Settings | None = None, *, state: FastAPI | None = None
) -> Iterator[str]:
    """`app` under uvicorn in a thread of this process; yields its base URL once it serves.
    With the app's `settings`, the server configuration `config-api serve` runs (and the
    operator port, with OPS_PORT). `state`: the FastAPI app whose state (the runtime)
    `served_app` returns, when `app` wraps it."""
    port = free_port()
    if settings is None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        sockets = [config.bind_socket()]
    else:
        config = server_config(app, settings, "127.0.0.1", port)
        sockets = listeners(config, settings)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": sockets}, name=f"api-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("API server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    fastapi_app = state if state is not None else app if isinstance(app, FastAPI) else None
    if fastapi_app is not None:
        _served[url] = fastapi_app
    try:
        yield url
    finally:
        _served.pop(url, None)
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def api_server(
    settings: Settings,
    runtime: Runtime | None = None,
    wrap: Callable[[ASGIApp], ASGIApp] | None = None,
) -> Iterator[str]:
    """The real app built from `settings`, served; yields its base URL. With `runtime`, the
    app serves that one (started here), so a test can watch its AWS clients; with `wrap`,
    inside that (a test's middleware)."""
    if runtime is not None:
        runtime.start()
    app = create_app(settings, runtime)
    with serve(wrap(app) if wrap else app, settings, state=app) as url:
        yield url


def served_app(url: str) -> FastAPI:
    """The app `serve` is running at `url` (in this process)."""
    try:
        return _served[url.rstrip("/")]
    except KeyError:
        raise LookupError(f"no app of this process is served at {url}") from None
