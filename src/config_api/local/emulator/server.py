"""The bundled AWS emulator: moto's server app, serialized, behind a chaos/metrics middleware."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import wasyncore
from waitress.server import create_server
from werkzeug.wsgi import get_input_stream

from . import cloudwatch, dispatch, headers, queries, tokens, transactions
from .chaos import ChaosState, identify, render_fault
from .durable import DataDir
from .fault_rules import AwsCall, ChaosError, parse_latency, parse_rules
from .serialized import SerializedApp

FAULTS_PATH = "/_localstack/chaos/faults"
EFFECTS_PATH = "/_localstack/chaos/effects"
REQUESTS_PATH = "/_emulator/requests"
# Emulator-only: rules shaped like the chaos API's, but the matching request is applied and
# then answered with the rule's error, as when a response is lost after the service acted.
LOST_RESPONSES_PATH = "/_emulator/lost-responses"
_CONTROL_PREFIXES = ("/_localstack/", "/_emulator/")
THREADS = 64


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}

    def add(self, call: AwsCall) -> None:
        with self._lock:
            per_service = self._counts.setdefault(call.service or "unknown", {})
            operation = call.operation or "Unknown"
            per_service[operation] = per_service.get(operation, 0) + 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {service: dict(ops) for service, ops in self._counts.items()}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class ChaosMiddleware:
    """Serves the chaos and counter endpoints; counts, delays and fails AWS requests."""

    def __init__(
        self, app: WSGIApplication, chaos: ChaosState, counter: RequestCounter, lost: ChaosState
    ) -> None:
        self._app = app
        self.chaos = chaos
        self.counter = counter
        self.lost = lost

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(_CONTROL_PREFIXES):
            return self._control(path, method, environ, start_response)
        if path.startswith("/moto-api"):
            if path.startswith("/moto-api/reset"):
                tokens.REGISTRY.clear()  # moto forgets every transaction: so do the tokens
            return self._app(environ, start_response)
        call = identify(environ)
        self.counter.add(call)
        latency_ms = self.chaos.latency_ms
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)  # outside the moto lock, so delays overlap
        rule = self.chaos.pick(call)
        if rule is None:
            rule = self.lost.pick(call)
            if rule is None:
                return self._app(environ, start_response)
            _discard(self._app(environ, lambda *_: lambda _: None))  # applied, answer lost
        # Read the request body: closing with unread data can reset the client's connection.
        get_input_stream(environ).read()
        status, headers, body = render_fault(rule, call, environ)
        start_response(status, headers)
        return [body]

    def _control(
        self, path: str, method: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        body = get_input_stream(environ).read()
        try:
            if path == FAULTS_PATH:
                return self._rules(self.chaos, method, body, start_response)
            if path == LOST_RESPONSES_PATH:
                return self._rules(self.lost, method, body, start_response)
            if path == EFFECTS_PATH:
                return self._effects(method, body, start_response)
            if path == REQUESTS_PATH:
                return self._requests(method, start_response)
        except ChaosError as exc:
            return _json(start_response, 400, {"error": "InvalidRequest", "message": str(exc)})
        return _json(start_response, 404, {"error": "NotFound", "message": path})

    def _rules(
        self, state: ChaosState, method: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        if method == "GET":
            rules = state.rules
        elif method == "POST":
            rules = state.replace(parse_rules(body))
        elif method == "PATCH":
            rules = state.extend(parse_rules(body))
        elif method == "DELETE":
            rules = state.remove(parse_rules(body))
        else:
            return _not_allowed(start_response, "GET, POST, PATCH, DELETE")
        return _json(start_response, 200, [rule.to_json() for rule in rules])

    def _effects(self, method: str, body: bytes, start_response: StartResponse) -> Iterable[bytes]:
        if method == "POST":
            self.chaos.latency_ms = parse_latency(body)
        elif method != "GET":
            return _not_allowed(start_response, "GET, POST")
        latency = self.chaos.latency_ms
        return _json(
            start_response, 200, {"latency": int(latency) if latency.is_integer() else latency}
        )

    def _requests(self, method: str, start_response: StartResponse) -> Iterable[bytes]:
        if method == "DELETE":
            self.counter.reset()
        elif method != "GET":
            return _not_allowed(start_response, "GET, DELETE")
        return _json(start_response, 200, self.counter.snapshot())


def _discard(result: Iterable[bytes]) -> None:
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _json(start_response: StartResponse, status: int, payload: Any) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(f"{status} {reason[status]}", headers)
    return [body]


def _not_allowed(start_response: StartResponse, allow: str) -> Iterable[bytes]:
    body = json.dumps({"error": "MethodNotAllowed", "message": f"allowed: {allow}"}).encode()
    headers = [("Content-Type", "application/json"), ("Allow", allow)]
    start_response("405 Method Not Allowed", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def build_app(seed: int | None = None, data_dir: Path | None = None) -> WSGIApplication:
    """Chaos middleware in front of moto's server app, which is serialized by one lock."""
    return _build(seed, data_dir)[0]


def _build(seed: int | None, data_dir: Path | None) -> tuple[WSGIApplication, DataDir | None]:
    dispatch.install()
    transactions.install()
    tokens.install()
    queries.install()
    cloudwatch.install()
    moto_app: WSGIApplication = DomainDispatcherApplication(create_backend_app)
    store = DataDir.open(data_dir, moto_app) if data_dir is not None else None
    serialized = SerializedApp(moto_app, store)
    chaos = ChaosMiddleware(serialized, ChaosState(seed), RequestCounter(), ChaosState(seed))
    return chaos, store


class Emulator:
    """moto behind waitress. The socket is bound at construction (port 0 = free port), so
    ``url`` is final before ``start``. One-shot: after ``stop`` build a new one. moto keeps
    state in process-global backends, so run one emulator per process.

    waitress, not werkzeug's development server: werkzeug answers every request with
    ``Connection: close`` (a new TCP connection and thread per AWS call); waitress keeps
    connections alive and serves them from a pool of threads."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4566,
        *,
        seed: int | None = None,
        data_dir: Path | None = None,
    ) -> None:
        """Without `data_dir` the state lives in memory only (tests, benches); with it, it is
        loaded from there and every acknowledged change is kept (raises DataDirError)."""
        self._host = host
        app, self.store = _build(seed, data_dir)
        # Waiting on chaos latency occupies a thread (outside the moto lock): enough threads
        # that concurrent delayed requests still overlap.
        try:
            self._server: Any = create_server(
                app, host=host, port=port, threads=THREADS, connection_limit=1000
            )
        except BaseException:
            if self.store is not None:
                self.store.close()
            raise
        headers.use_s3_header_names(self._server)
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        # A wildcard bind address is not something a client can connect to.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self._host, self._host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> None:
        """Serve in a daemon thread; the socket already listens, so connections are accepted."""
        if self._serving:
            raise RuntimeError("emulator already started")
        self._serving = True
        self._thread = threading.Thread(target=self._server.run, name="aws-emulator", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Blocking, for the CLI; returns on Ctrl-C (or SIGTERM turned into SystemExit)."""
        if self._serving:
            raise RuntimeError("emulator already started")
        self._serving = True
        try:
            self._server.run()  # catches KeyboardInterrupt and SystemExit
        finally:
            self._serving = False
            self._close()

    def stop(self) -> None:
        """Idempotent; from any thread but the one running serve_forever."""
        if self._serving:
            self._serving = False
            # The socket map belongs to the server's loop: close it from there, so it ends.
            self._server.trigger.pull_trigger(self._close)
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._close()

    def _close(self) -> None:
        wasyncore.close_all(self._server._map)
        self._server.task_dispatcher.shutdown()
        if self.store is not None:
            self.store.close()  # after the last request: a snapshot for a quick next start
            self.store = None
