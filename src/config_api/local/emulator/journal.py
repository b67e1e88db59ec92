"""The emulator's files: checksummed records, an append-only journal with group commit.

A record is a JSON header and optional raw bytes (an S3 object's body travels as it is):
``magic | payload length | crc32(payload) | header length | header | body``. The journal and
the snapshot are both sequences of records. Hand-rolled because the format is a few lines of
``struct`` and the standard library has no checksummed append-only log.

Reading a file, a bad record at its very end is a torn write (the process was killed while
appending, or the machine lost power): the records before it are kept, the rest dropped. A
bad record with data after it is damage, not a torn write: ``DamagedFile``, never a guess.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAGIC = b"CAE1"
_FRAME = struct.Struct(">4sII")  # magic, payload length, crc32 of the payload
_HEADER_LENGTH = struct.Struct(">I")


class DamagedFile(Exception):
    """A data file that cannot be read back as it was written."""


@dataclass
class Record:
    header: dict[str, Any]
    body: bytes = b""


@dataclass
class Contents:
    records: list[Record] = field(default_factory=list)
    valid_bytes: int = 0  # the length of the readable prefix
    torn_bytes: int = 0  # what followed it: a torn last write


def encode(record: Record) -> bytes:
    header = json.dumps(record.header, separators=(",", ":")).encode()
    payload = _HEADER_LENGTH.pack(len(header)) + header + record.body
    return _FRAME.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def read(path: Path) -> Contents:
    data = path.read_bytes()
    contents = Contents()
    offset = 0
    while offset < len(data):
        end = offset + _FRAME.size
        if end > len(data):
            return _torn(contents, data, offset)
        magic, length, crc = _FRAME.unpack_from(data, offset)
        if magic != MAGIC:
            if not data[offset:].strip(b"\0"):
                return _torn(contents, data, offset)  # a zero-filled tail: a lost write
            raise DamagedFile(f"{path.name}: no record at byte {offset}")
        if end + length > len(data):
            return _torn(contents, data, offset)
        payload = data[end : end + length]
        if zlib.crc32(payload) != crc:
            if end + length == len(data):
                return _torn(contents, data, offset)
            raise DamagedFile(f"{path.name}: record at byte {offset} fails its checksum")
        (header_length,) = _HEADER_LENGTH.unpack_from(payload)
        start = _HEADER_LENGTH.size
        header = json.loads(payload[start : start + header_length])
        contents.records.append(Record(header, payload[start + header_length :]))
        offset = end + length
        contents.valid_bytes = offset
    return contents


def _torn(contents: Contents, data: bytes, offset: int) -> Contents:
    contents.torn_bytes = len(data) - offset
    return contents


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def sync_directory(path: Path) -> None:
    """Make a rename or a new file in `path` durable (POSIX: fsync the directory)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Appends under the caller's lock; ``sync`` outside it, so concurrent requests share one
    fsync (group commit) instead of queueing one each behind the emulator's lock."""

    def __init__(self, path: Path, valid_bytes: int, next_seq: int) -> None:
        # O_APPEND: every write lands at the end, also after `restart` empties the file.
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.ftruncate(self._fd, valid_bytes)  # drops a torn tail, if there was one
        os.fsync(self._fd)
        sync_directory(path.parent)  # a new journal's name survives a power cut too
        self.size = valid_bytes
        self.records = 0
        self.next_seq = next_seq
        self._written = next_seq - 1  # the last appended sequence number
        self._synced = self._written
        self._sync_lock = threading.Lock()

    @property
    def written(self) -> int:
        return self._written

    def append(self, record: Record) -> int:
        seq = self.next_seq
        record.header["seq"] = seq
        data = encode(record)
        write_all(self._fd, data)
        self.next_seq += 1
        self.size += len(data)
        self.records += 1
        self._written = seq
        return seq

    def sync(self, seq: int) -> None:
        """Return once every record up to `seq` is on disk."""
        if seq <= self._synced:
            return
        with self._sync_lock:
            if seq <= self._synced:
                return  # another request's fsync covered it while this one waited
            target = self._written
            os.fsync(self._fd)
            self._synced = max(self._synced, target)

    def restart(self, durable_up_to: int) -> None:
        """Empty the journal: everything up to `durable_up_to` is in a snapshot now."""
        with self._sync_lock:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
            self._synced = max(self._synced, durable_up_to)
        self.size = 0
        self.records = 0

    def close(self) -> None:
        os.fsync(self._fd)
        os.close(self._fd)
