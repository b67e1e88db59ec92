"""HTTP over a raw socket: requests no client library would send."""

from __future__ import annotations

import socket

# A request with both Content-Length and Transfer-Encoding (RFC 9112 §6.1), and a second
# request pipelined behind it: the shape of request smuggling.
SMUGGLING = (
    b"POST /api/v2/configurations HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
    b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    b"GET /health HTTP/1.1\r\nHost: api\r\n\r\n"
)


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def exchange(where: tuple[str, int], request: bytes) -> tuple[bytes, bool]:
    """Send `request`; what came back, and whether the server closed the connection."""
    with socket.create_connection(where, timeout=5) as sock:
        sock.sendall(request)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
        return received, True
