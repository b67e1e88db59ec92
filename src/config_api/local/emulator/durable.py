"""A data directory that makes the emulator a database: nothing acknowledged is lost.

Every AWS request that changed something and succeeded is appended to a journal and fsynced
before its response is sent (requests are already serialized, so the journal is the order
they took effect in); failed requests (chaos faults, failed conditions) change nothing and
are not journaled. At start the snapshot is loaded and the journal replayed through moto.
From time to time (and at a clean stop) the state is written as a new snapshot and the
journal emptied, so a restart stays quick. Only one emulator may use a directory at a time.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from wsgiref.types import WSGIApplication, WSGIEnvironment

from . import journal, snapshot
from .chaos import identify
from .journal import DamagedFile, Journal, Record
from .tokens import TIME_KEY

SNAPSHOT, JOURNAL, LOCK = "snapshot.db", "journal.db", "LOCK"
# A snapshot is taken when the journal holds this much: replaying it at a restart after a
# kill stays around a second.
COMPACT_RECORDS = 300
COMPACT_BYTES = 512 * 1024
_READ_ONLY = re.compile(r"(Get|Describe|List|Query|Scan|BatchGet|TransactGet|Head)[A-Z]?")
# Hop-by-hop headers, and credentials that must not be written to disk.
_DROPPED = frozenset(
    {
        *("HTTP_CONNECTION", "HTTP_KEEP_ALIVE", "HTTP_TRANSFER_ENCODING", "HTTP_EXPECT"),
        *("HTTP_X_AMZ_SECURITY_TOKEN", "HTTP_CONTENT_LENGTH"),
    }
)
_SIGNATURE = re.compile(r"Signature=[0-9a-fA-F]+")


class DataDirError(Exception):
    """The data directory cannot be used: in use, unreadable or damaged."""


def changes_state(environ: WSGIEnvironment) -> bool:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api/"):
        return False
    method = environ.get("REQUEST_METHOD", "GET").upper()
    call = identify(environ)
    if call.service == "s3" or call.operation is None:
        return method not in ("GET", "HEAD", "OPTIONS")
    return _READ_ONLY.match(call.operation) is None


def capture(environ: WSGIEnvironment, body: bytes) -> Record:
    headers = {
        k: v
        for k, v in environ.items()
        if (k.startswith("HTTP_") or k == "CONTENT_TYPE") and k not in _DROPPED
    }
    if "HTTP_AUTHORIZATION" in headers:  # moto reads the scope, never checks the signature
        headers["HTTP_AUTHORIZATION"] = _SIGNATURE.sub("Signature=0", headers["HTTP_AUTHORIZATION"])
    call = identify(environ)
    header = {
        "method": environ.get("REQUEST_METHOD", "GET"),
        "path": environ.get("PATH_INFO", ""),
        "query": environ.get("QUERY_STRING", ""),
        "headers": headers,
        "time": time.time(),
        "service": call.service,
        "operation": call.operation,
    }
    return Record(header, body)


def environ_of(record: Record) -> WSGIEnvironment:
    header = record.header
    environ: dict[str, Any] = {
        "REQUEST_METHOD": header["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": header["path"],
        "QUERY_STRING": header["query"],
        "CONTENT_LENGTH": str(len(record.body)),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "4566",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(record.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        TIME_KEY: header["time"],
        **header["headers"],
    }
    return environ


class DataDir:
    """Open with ``open``: locks the directory, loads it into moto, then journals."""

    def __init__(self, path: Path, app: WSGIApplication) -> None:
        self.path = path
        self._app = app
        self._kept: list[Record] = []  # requests a snapshot keeps as requests
        self.replay_failures = 0
        self.loaded_requests = 0
        self.dropped_bytes = 0
        self.loaded_snapshot = False
        self._lock_fd = -1
        self.journal: Journal | None = None

    @classmethod
    def open(cls, path: Path, app: WSGIApplication) -> DataDir:
        store = cls(path, app)
        try:
            path.mkdir(parents=True, exist_ok=True)
            store._lock()
            store._load()
        except DamagedFile as exc:
            store._unlock()
            raise DataDirError(
                f"the data directory {path} is damaged ({exc}); the emulator does not start on "
                "part of a database: move the directory aside to start empty"
            ) from exc
        except OSError as exc:
            store._unlock()
            raise DataDirError(f"the data directory {path} cannot be used: {exc}") from exc
        return store

    def summary(self) -> str | None:
        """What the start found, when it found something."""
        if not (self.loaded_snapshot or self.loaded_requests or self.dropped_bytes):
            return None
        parts = [
            f"data directory {self.path}: loaded "
            + ("a snapshot and " if self.loaded_snapshot else "")
            + f"{self.loaded_requests} journaled requests"
        ]
        if self.dropped_bytes:
            parts.append(
                f"a torn last record ({self.dropped_bytes} bytes) dropped: a write interrupted "
                "by a kill, never acknowledged"
            )
        if self.replay_failures:
            parts.append(f"{self.replay_failures} requests failed when replayed")
        return "; ".join(parts)

    def _lock(self) -> None:
        self._lock_fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirError(
                f"the data directory {self.path} is in use by another emulator"
            ) from None

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = -1

    def _load(self) -> None:
        seq = 0
        if (self.path / SNAPSHOT).exists():
            seq, self._kept = snapshot.load(self.path / SNAPSHOT, self._replay)
            self.loaded_snapshot = True
        journal_path = self.path / JOURNAL
        contents = journal.read(journal_path) if journal_path.exists() else journal.Contents()
        for record in contents.records:
            if record.header["seq"] > seq:
                self._replay(record)
                self._keep(record)
                self.loaded_requests += 1
                seq = record.header["seq"]
        self.dropped_bytes = contents.torn_bytes
        self.journal = Journal(journal_path, contents.valid_bytes, seq + 1)
        self.journal.records = len(contents.records)

    def _replay(self, record: Record) -> None:
        statuses: list[str] = []

        def start_response(status: str, *_: Any) -> Any:
            statuses.append(status)

        result = self._app(environ_of(record), start_response)
        for _ in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
        if not statuses or not statuses[-1].startswith("2"):
            self.replay_failures += 1

    def _keep(self, record: Record) -> None:
        if not snapshot.is_data(record.header.get("service"), record.header.get("operation")):
            self._kept.append(record)

    # -- serving: called under the emulator's lock -------------------------------------------
    def record(self, environ: WSGIEnvironment, body: bytes) -> int:
        """Journal a request that changed state; the sequence number to sync to."""
        assert self.journal is not None
        record = capture(environ, body)
        seq = self.journal.append(record)
        self._keep(record)
        if self.journal.records >= COMPACT_RECORDS or self.journal.size >= COMPACT_BYTES:
            self.compact()
        return seq

    def reset(self) -> None:
        """moto forgot everything (/moto-api/reset): so does the directory."""
        self._kept = []
        self.compact()

    def compact(self) -> None:
        assert self.journal is not None
        seq = self.journal.written
        snapshot.write(self.path / SNAPSHOT, seq, self._kept, time.time())
        self.journal.restart(seq)

    def close(self) -> None:
        """A clean stop: a snapshot, so the next start loads data instead of replaying."""
        if self.journal is not None:
            if self.journal.records:
                self.compact()
            self.journal.close()
            self.journal = None
        self._unlock()
