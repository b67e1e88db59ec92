"""One request at a time through moto, and (with a data directory) nothing acknowledged lost.

moto's threaded server is not linearizable (concurrent TransactWriteItems can both pass their
conditions), so the whole request, including the body iteration, runs under one lock. A
request that changed state is journaled under that lock, in the order it took effect, and
fsynced after it, before the answer: concurrent requests share one fsync. A read waits for
the writes it may have seen to be on disk too, so nothing answered can be undone by a crash.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from werkzeug.wsgi import get_input_stream

from .chaos import identify, render_fault
from .durable import DataDir, changes_state
from .fault_rules import FaultRule

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
_BROKEN = FaultRule(status_code=500, code="InternalServerError")


class SerializedApp:
    def __init__(self, app: WSGIApplication, store: DataDir | None = None) -> None:
        self._app = app
        self._store = store
        self._lock = threading.Lock()
        self._broken: str | None = None  # why the data directory can no longer be written

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chunks: list[bytes] = []
        captured: list[tuple[str, list[tuple[str, str]], _ExcInfo | None]] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            captured.append((status, headers, exc_info))
            return chunks.append

        store = self._store
        body = b""
        if store is not None:  # read whole, outside the lock: it is journaled as it came
            body = get_input_stream(environ).read()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
        with self._lock:
            if self._broken is not None:
                return self._fail(environ, start_response)
            result = self._app(environ, capture)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status, headers, exc_info = captured[-1]
            seq = 0
            if store is not None:
                try:
                    seq = self._journal(store, environ, body, status)
                except OSError as exc:
                    return self._break(exc, environ, start_response)
        if store is not None and store.journal is not None:
            try:
                store.journal.sync(seq)
            except OSError as exc:
                return self._break(exc, environ, start_response)
        start_response(status, headers, exc_info)
        return [b"".join(chunks)]

    @staticmethod
    def _journal(store: DataDir, environ: WSGIEnvironment, body: bytes, status: str) -> int:
        assert store.journal is not None
        if status.startswith("2"):
            if environ.get("PATH_INFO", "").startswith("/moto-api/reset"):
                store.reset()
            elif changes_state(environ):
                return store.record(environ, body)
        return store.journal.written  # what this request may have seen

    def _break(
        self, exc: OSError, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        # The change is in memory but not on disk: never acknowledge it, nor anything after.
        self._broken = f"the emulator could not write its data directory ({exc}); restart it"
        print(self._broken, file=sys.stderr)
        return self._fail(environ, start_response)

    def _fail(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = render_fault(
            _BROKEN, identify(environ), environ, self._broken or ""
        )
        start_response(status, headers)
        return [body]
