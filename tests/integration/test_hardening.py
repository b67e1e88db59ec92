"""Hostile input over HTTP: sizes, media types, broken JSON, odd unicode, ids, headers.

Every case gets a precise 4xx problem+json (or a 201 where the input is legitimate), never a 5xx.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from config_api.settings import Settings
from tests.support.api import BASE, VALID, listed, raw_headers
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user

LIMIT = Settings().max_body_bytes  # the api fixture runs with the default


def post_raw(
    api: httpx.Client, user: str, content: bytes | Iterator[bytes], content_type: str | None
) -> httpx.Response:
    headers = auth(user) | ({"Content-Type": content_type} if content_type else {})
    return api.post(BASE, content=content, headers=headers)


# -- size ---------------------------------------------------------------------------------
def padded(size: int) -> bytes:
    """A valid create body of exactly `size` bytes (JSON whitespace as padding)."""
    body = json.dumps(VALID).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_body_over_the_limit_is_413(api: httpx.Client) -> None:
    user = new_user()
    resp = post_raw(api, user, padded(LIMIT + 1), "application/json")
    assert int(resp.request.headers["content-length"]) == LIMIT + 1
    assert_problem(resp, 413, "body_too_large")
    assert listed(api, user) == []


def test_body_at_the_limit_is_accepted(api: httpx.Client) -> None:
    resp = post_raw(api, new_user(), padded(LIMIT), "application/json")
    assert resp.status_code == 201, resp.text


def test_chunked_body_over_the_limit_is_413(api: httpx.Client) -> None:
    user = new_user()

    def chunks() -> Iterator[bytes]:
        data = padded(LIMIT * 4)
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    resp = post_raw(api, user, chunks(), "application/json")
    assert "content-length" not in resp.request.headers
    assert resp.request.headers["transfer-encoding"] == "chunked"
    assert_problem(resp, 413, "body_too_large")
    assert listed(api, user) == []


# -- media type ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", json.dumps(VALID).encode()),
        ("application/x-www-form-urlencoded", b"name=Tech&tickers=AAPL"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n'),
        ("application/xml", b"<configuration/>"),
        ("application/jsonp", json.dumps(VALID).encode()),
        (None, json.dumps(VALID).encode()),
    ],
)
def test_body_that_is_not_json_is_415(
    api: httpx.Client, content_type: str | None, content: bytes
) -> None:
    user = new_user()
    assert_problem(post_raw(api, user, content, content_type), 415, "unsupported_media_type")
    assert listed(api, user) == []


def test_patch_with_wrong_media_type_is_415(api: httpx.Client) -> None:
    user = new_user()
    config_id = post_raw(api, user, json.dumps(VALID).encode(), "application/json").json()
    resp = api.patch(
        f"{BASE}/{config_id['config_id']}",
        content=b'{"name": "x"}',
        headers=auth(user) | {"Content-Type": "text/plain"},
    )
    assert_problem(resp, 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(api: httpx.Client) -> None:
    resp = post_raw(api, new_user(), json.dumps(VALID).encode(), "Application/JSON; charset=utf-8")
    assert resp.status_code == 201, resp.text


# -- broken JSON --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b'{"name":',
        b"{'name': 'Tech', 'tickers': ['AAPL']}",
        b"",
        b"null",
        b'"just a string"',
        b"\xff\xfe{}",
        b"[" * 5000 + b"]" * 5000,  # nesting deep enough to trouble a recursive parser
        b'{"name":"Tech","tickers":["AAPL"],"timeframe_days":' + b"9" * 5000 + b"}",
        b'{"name":"Tech","tickers":["AAPL"],"timeframe_days":NaN}',
        b'{"name":"Tech","tickers":["AAPL"],"timeframe_days":1e400}',
        b'{"name":"A","name":"B","tickers":["AAPL"],"extra":1}',
    ],
    ids=lambda raw: raw[:24].decode("latin-1"),
)
def test_malformed_json_is_400(api: httpx.Client, raw: bytes) -> None:
    user = new_user()
    assert_problem(post_raw(api, user, raw, "application/json"), 400)
    assert listed(api, user) == []


# -- odd unicode ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "Tech\u202eevil",  # right-to-left override
        "Te\u200bch",  # zero-width space
        "Te\u0000ch",  # NUL
        "Te\nch",
        "\u00a0\u3000",  # only (unicode) whitespace
        "x" * 10_000,
        "\ufeffTech",  # byte-order mark
        "Te\U000e0041ch",  # tag character
    ],
    ids=["rtl-override", "zero-width", "nul", "newline", "blank", "10k", "bom", "tag"],
)
def test_names_with_control_or_invisible_characters_are_400(api: httpx.Client, name: str) -> None:
    user = new_user()
    resp = api.post(BASE, json={**VALID, "name": name}, headers=auth(user))
    body = assert_problem(resp, 400)
    assert [e["field"] for e in body["errors"]] == ["body.name"]
    assert listed(api, user) == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name":"\\ud800","tickers":["AAPL"]}', "body.name"),  # lone surrogate
        (b'{"name":"Tech","tickers":["\\udfff"]}', "body.tickers.0"),
        (b'{"\\ud800":1,"name":"Tech","tickers":["AAPL"]}', "body"),
    ],
    ids=["name", "ticker", "key"],
)
def test_lone_surrogates_are_400(api: httpx.Client, raw: bytes, field: str) -> None:
    user = new_user()
    body = assert_problem(post_raw(api, user, raw, "application/json"), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    assert listed(api, user) == []


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("📈 Tech", "📈 Tech"),
        ("Cafe\u0301", "Café"),  # NFD in, NFC stored
        ("  Überwachung  ", "Überwachung"),
        ("שוק ההון", "שוק ההון"),  # right-to-left script is text, not a control character
        ("x" * 50, "x" * 50),
    ],
)
def test_legitimate_unicode_names_are_stored_normalised(
    api: httpx.Client, sent: str, kept: str
) -> None:
    user = new_user()
    resp = api.post(BASE, json={**VALID, "name": sent}, headers=auth(user))
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == kept
    assert [c["name"] for c in listed(api, user)] == [kept]


def test_odd_ticker_symbols_are_400(api: httpx.Client) -> None:
    user = new_user()
    tickers = ["\u202eAAPL", "AA\u0000PL", "A" * 16, "🍎"]
    body = assert_problem(
        api.post(BASE, json={**VALID, "tickers": tickers}, headers=auth(user)), 400
    )
    assert sorted(e["field"] for e in body["errors"]) == [f"body.tickers.{i}" for i in range(4)]
    # Text meant for people shows the odd symbols escaped, never raw control/bidi characters.
    assert body["detail"].isprintable()
    assert all(e["message"].isprintable() for e in body["errors"])


# -- path ids -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "config_id",
    [
        "not-a-uuid",
        "..%2F..%2Fetc%2Fpasswd",
        "%2F%2F",
        "a" * 5000,
        "%00",
        "%E2%80%AE" + str(uuid.uuid4()),
        str(uuid.uuid4()) + "%00",
        "' OR '1'='1",
        "%ZZ",
        "CONFIG%23x",
        str(uuid.uuid4()),  # well-formed, just not there
    ],
    ids=lambda config_id: config_id[:20],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_ids_that_do_not_exist_are_404(api: httpx.Client, method: str, config_id: str) -> None:
    resp = api.request(method, f"{BASE}/{config_id}", headers=auth(new_user()), json={"name": "x"})
    assert_problem(resp, 404)


# -- headers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "supplied",
    ["<script>alert(1)</script>", "a b", "x" * 129, "id;rm -rf", "caf\xe9", '"quoted"', ""],
)
def test_unsafe_correlation_ids_are_replaced_not_echoed(api: httpx.Client, supplied: str) -> None:
    resp = api.get(
        BASE, headers=raw_headers(auth(new_user()), "X-Correlation-ID", supplied.encode("latin-1"))
    )
    assert resp.status_code == 200
    echoed = resp.headers["x-correlation-id"]
    assert echoed != supplied
    assert uuid.UUID(echoed)


@pytest.mark.parametrize(
    "key",
    # (A DEL is refused by the HTTP parser before the app: see below.)
    [b"\xff\xfe", b"a\tb", b"k" * 256, "caf\xe9".encode("latin-1")],
    ids=["non-ascii", "tab", "256-chars", "latin-1"],
)
def test_odd_idempotency_keys_are_400(api: httpx.Client, key: bytes) -> None:
    user = new_user()
    resp = api.post(BASE, json=VALID, headers=raw_headers(auth(user), "Idempotency-Key", key))
    body = assert_problem(resp, 400, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["header.Idempotency-Key"]
    assert listed(api, user) == []


def raw_request(api: httpx.Client, header_block: bytes) -> tuple[int, dict[str, str]]:
    """Send bytes httpx refuses to send (CR/LF/NUL inside a header); (status, headers)."""
    url = httpx.URL(str(api.base_url))
    request = b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + header_block
    with socket.create_connection((url.host, url.port or 80), timeout=10) as sock:
        sock.sendall(request + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:])
    return int(head[0].split()[1]), headers


@pytest.mark.parametrize(
    "block",
    [
        b"X-Correlation-ID: abc\nX-Injected: yes\r\n",
        b"X-Correlation-ID: abc\r\n X-Injected: yes\r\n",
    ],
    ids=["bare-lf", "obs-fold"],
)
def test_a_newline_in_a_header_cannot_inject_a_header(api: httpx.Client, block: bytes) -> None:
    # A bare LF inside a header, or a folded (obs-fold) value, is refused by the HTTP parser
    # (llhttp; RFC 9112 §5.2 allows refusing a fold): neither a value with a newline nor a
    # header behind it ever reaches the app.
    status, headers = raw_request(api, block)
    assert status == 400
    assert "x-injected" not in headers


@pytest.mark.parametrize(
    "value", [b"abc\rdef", b"abc\x00def", b"abc\x7fdef"], ids=["cr", "nul", "del"]
)
def test_cr_or_nul_in_a_header_is_rejected_before_the_app(api: httpx.Client, value: bytes) -> None:
    status, _ = raw_request(api, b"X-Correlation-ID: " + value + b"\r\n")
    assert status == 400
