"""The HTTP server itself, over raw sockets, as `config-api serve` configures it (run here
in-process): a request smuggling shape is refused and its connection closed, and a client
that sends its headers a byte at a time is cut off after the header deadline."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.raw_http import SMUGGLING, exchange
from tests.support.raw_http import address as address_of
from tests.support.stack import api_server, settings_for

HEADER_TIMEOUT = 1.0
SLOW_CLIENTS = 300
# Far beyond the deadline: without one, the slow clients are never cut off at all.
GIVE_UP_SECONDS = 30.0


@pytest.fixture(scope="module")
def address(seeded: str) -> Iterator[tuple[str, int]]:
    settings = settings_for(seeded, header_timeout_seconds=HEADER_TIMEOUT)
    with api_server(settings) as url:
        yield address_of(url)


def test_content_length_with_chunked_is_400_and_closes(address: tuple[str, int]) -> None:
    received, closed = exchange(address, SMUGGLING)
    assert received.startswith(b"HTTP/1.1 400 "), received
    assert received.count(b"HTTP/1.1 ") == 1, received  # the request behind it is not served
    assert closed


def test_pipelined_requests_are_still_served(address: tuple[str, int]) -> None:
    one = b"GET /health HTTP/1.1\r\nHost: api\r\n\r\n"
    last = b"GET /health HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"
    received, closed = exchange(address, one + one + last)
    assert received.count(b"HTTP/1.1 200 OK") == 3, received
    assert closed


@pytest.mark.parametrize(
    ("size", "status"), [(12_000, b"200 OK"), (20_000, b"431 Request Header Fields Too Large")]
)
def test_headers_over_16_kib_are_431(address: tuple[str, int], size: int, status: bytes) -> None:
    big = b"X-Big: " + b"a" * size + b"\r\n"
    request = b"GET /health HTTP/1.1\r\nHost: api\r\n" + big + b"Connection: close\r\n\r\n"
    received, closed = exchange(address, request)
    assert received.startswith(b"HTTP/1.1 " + status), received[:200]
    assert closed


def test_headers_growing_over_16_kib_are_cut_off_before_they_end(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: api\r\nX-Big: ")
        received = b""
        # Up to 200 KB of one header, 2 KB at a time, until the server answers.
        for _ in range(100):
            if select.select([sock], [], [], 0.005)[0]:
                break
            sock.sendall(b"a" * 2048)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]


def test_headers_sent_slowly_but_in_time_are_served(address: tuple[str, int]) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"
    with socket.create_connection(address, timeout=5) as sock:
        for start in range(0, len(request), 20):
            sock.sendall(request[start : start + 20])
            time.sleep(HEADER_TIMEOUT / 10)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")


def test_clients_sending_headers_a_byte_at_a_time_are_cut_off(address: tuple[str, int]) -> None:
    trickle = b"GET /health HTTP/1.1\r\nHost: api\r\nX-Slow: " + b"a" * 10_000
    open_: dict[socket.socket, int] = {}
    for _ in range(SLOW_CLIENTS):
        sock = socket.create_connection(address, timeout=5)
        sock.setblocking(False)
        open_[sock] = 0
    cut_off = 0
    try:
        health = f"http://{address[0]}:{address[1]}/health"
        assert httpx.get(health, timeout=10).status_code == 200  # others are still served
        given_up = time.monotonic() + GIVE_UP_SECONDS
        while open_ and time.monotonic() < given_up:
            for sock, sent in list(open_.items()):
                try:
                    if sock.recv(1) == b"":  # the server closed it
                        raise ConnectionResetError
                except BlockingIOError:  # still open, nothing to read: one more byte
                    try:
                        open_[sock] = sent + sock.send(trickle[sent : sent + 1])
                        continue
                    except OSError:
                        pass
                except OSError:
                    pass
                cut_off += 1
                del open_[sock]
                sock.close()
            time.sleep(0.05)
    finally:
        for sock in open_:
            sock.close()
    assert cut_off == SLOW_CLIENTS, f"{len(open_)} slow clients still connected"
