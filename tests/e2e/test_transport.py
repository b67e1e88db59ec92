"""`config-api serve` itself refuses the request smuggling shape and closes the connection."""

from __future__ import annotations

import pytest

from tests.support.raw_http import SMUGGLING, address, exchange

pytestmark = pytest.mark.e2e


def test_content_length_with_chunked_is_400_and_closes(api_url: str) -> None:
    received, closed = exchange(address(api_url), SMUGGLING)
    assert received.startswith(b"HTTP/1.1 400 "), received
    assert received.count(b"HTTP/1.1 ") == 1, received
    assert closed
