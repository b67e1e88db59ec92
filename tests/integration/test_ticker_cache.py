"""The ticker cache against S3 over HTTP (the emulator, or TEST_AWS_ENDPOINT_URL).

Each test publishes its own object under a fresh key, so tests never see each other's lists.
S3 requests are observed on the client through botocore's event hooks (what was sent, what
came back), which works against any endpoint. Faults come from the chaos API.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from config_api.domain.errors import DependencyUnavailable, InvalidTickers
from config_api.retry.policy import RetryPolicy
from config_api.store import clients
from config_api.store.admin import provision
from config_api.store.ticker_object import TickerObject
from config_api.tickers.cache import DEGRADED_RETRY_SECONDS, Fallback, TickerCache
from config_api.tickers.catalog import Ticker, TickerList, load_bundled
from config_api.tickers.file import Exchange
from tests.support.stack import Chaos, settings_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def get_object_fails(code: str, status: int = 503) -> list[dict[str, Any]]:
    return [
        {"service": "s3", "operation": "GetObject", "error": {"statusCode": status, "code": code}}
    ]


S3_DOWN = get_object_fails("ServiceUnavailable")


def ticker_list(*symbols: str, as_of: date = date(2024, 1, 1)) -> bytes:
    tickers = (Ticker(s, f"{s} Corp", Exchange.NASDAQ) for s in symbols)
    return TickerList.build(tickers, source="test", as_of=as_of).to_json()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class GetObjects:
    """What the client sent (If-None-Match included) and the HTTP status it got back."""

    def __init__(self, s3: S3Client) -> None:
        self.sent: list[bytes | None] = []
        self.statuses: list[int] = []
        s3.meta.events.register("before-send.s3.GetObject", self._sent)
        s3.meta.events.register("after-call.s3.GetObject", self._answered)

    def _sent(self, request: Any, **_: Any) -> None:  # returning None lets the request go
        self.sent.append(request.headers.get("If-None-Match"))

    def _answered(self, http_response: Any, **_: Any) -> None:
        self.statuses.append(http_response.status_code)


class Stack:
    def __init__(self, seeded: str) -> None:
        settings = settings_for(seeded)
        self.s3 = clients.s3_client(settings)
        self.bucket = settings.ticker_bucket
        self.key = f"tickers/test-{uuid.uuid4()}.json"
        self.gets = GetObjects(self.s3)
        self.clock = Clock()
        self.fallbacks: list[str] = []

    def publish(self, *symbols: str, as_of: date = date(2024, 1, 1)) -> None:
        data = ticker_list(*symbols, as_of=as_of)
        provision.publish_tickers(self.s3, self.bucket, self.key, data)

    def cache(
        self, fallback: Fallback = "bundled", sleep: Callable[[float], None] = lambda _: None
    ) -> TickerCache:
        return TickerCache(
            TickerObject(self.s3, self.bucket, self.key, RetryPolicy(sleep=sleep)),
            fallback=fallback,
            refresh_seconds=300,
            clock=self.clock,
            on_fallback=self.fallbacks.append,
        )


@pytest.fixture
def stack(seeded: str, chaos: Chaos) -> Stack:
    return Stack(seeded)


def symbols(tickers: list[Ticker]) -> list[str]:
    return [t.symbol for t in tickers]


def test_loads_the_published_list(stack: Stack) -> None:
    stack.publish("AAA", "BBB")
    cache = stack.cache()
    cache.load()
    status = cache.status()
    assert (status.source, status.symbols) == ("s3", 2)
    assert status.etag
    assert symbols(cache.validate(["bbb", "AAA"])) == ["BBB", "AAA"]
    with pytest.raises(InvalidTickers):
        cache.validate(["AAPL"])  # in the bundled list, not in this one
    assert stack.fallbacks == []


def test_transient_slowdown_is_retried_and_the_list_loads(stack: Stack, chaos: Chaos) -> None:
    stack.publish("AAA")
    chaos.faults(get_object_fails("SlowDown"))
    # S3 recovers while the policy backs off.
    cache = stack.cache(sleep=lambda _: chaos.clear())
    cache.load()
    assert stack.gets.statuses == [503, 200]
    assert cache.status().source == "s3"
    assert symbols(cache.validate(["AAA"])) == ["AAA"]


@pytest.mark.parametrize("cause", ["s3 down", "no object"])
def test_cold_start_without_s3_uses_the_bundled_list(
    stack: Stack, chaos: Chaos, caplog: pytest.LogCaptureFixture, cause: str
) -> None:
    if cause == "s3 down":
        stack.publish("AAA")
        chaos.faults(S3_DOWN)
    cache = stack.cache()
    with caplog.at_level(logging.WARNING):
        cache.load()
    status = cache.status()
    assert (status.source, status.symbols) == ("bundled", len(load_bundled()))
    assert stack.fallbacks == ["bundled"]
    degraded = [r for r in caplog.records if r.getMessage() == "ticker list degraded"]
    assert [vars(r)["source"] for r in degraded] == ["bundled"]
    assert symbols(cache.validate(["aapl", "MSFT"])) == ["AAPL", "MSFT"]
    with pytest.raises(InvalidTickers):
        cache.validate(["ZZZZZ"])


def test_allow_any_accepts_only_well_formed_symbols(stack: Stack, chaos: Chaos) -> None:
    chaos.faults(S3_DOWN)
    cache = stack.cache(fallback="allow-any")
    cache.load()
    assert cache.status().source == "allow-any"
    assert stack.fallbacks == ["allow-any"]
    assert symbols(cache.validate(["zzzzz", "BRK-B"])) == ["ZZZZZ", "BRK.B"]
    with pytest.raises(InvalidTickers) as raised:
        cache.validate(["AAPL", "1$"])
    assert [(bad.symbol, bad.reason) for bad in raised.value.invalid] == [("1$", "malformed")]


def test_strict_without_a_list_is_unavailable(stack: Stack, chaos: Chaos) -> None:
    chaos.faults(S3_DOWN)
    cache = stack.cache(fallback="strict")
    cache.load()
    assert cache.status().source == "none"
    with pytest.raises(DependencyUnavailable) as raised:
        cache.validate(["AAPL"])
    # The next S3 attempt comes within DEGRADED_RETRY_SECONDS: Retry-After points there.
    assert raised.value.retry_after == DEGRADED_RETRY_SECONDS == cache.retry_after_seconds()
    assert stack.fallbacks == []


def test_a_failed_refresh_keeps_the_last_good_list(stack: Stack, chaos: Chaos) -> None:
    stack.publish("AAA")
    cache = stack.cache()
    cache.load()
    chaos.faults(S3_DOWN)
    assert cache.refresh_now() is False
    assert cache.status().source == "s3"
    assert symbols(cache.validate(["AAA"])) == ["AAA"]


def test_refresh_is_a_conditional_get(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    stack.publish("AAA")
    cache = stack.cache()
    cache.load()
    etag = cache.status().etag
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert cache.refresh_now() is True
    # Unchanged: S3 answers 304 and nothing is downloaded or installed again.
    assert etag is not None
    assert stack.gets.sent == [None, etag.encode()]
    assert stack.gets.statuses == [200, 304]
    assert not [r for r in caplog.records if r.getMessage() == "ticker list loaded"]
    assert cache.status().etag == etag


def test_refresh_picks_up_a_newly_published_list(stack: Stack) -> None:
    stack.publish("AAA")
    cache = stack.cache()
    cache.load()
    with pytest.raises(InvalidTickers):
        cache.validate(["CCC"])
    stack.publish("AAA", "CCC")
    assert cache.refresh_now() is True
    assert stack.gets.statuses == [200, 200]
    assert cache.status().symbols == 2
    assert symbols(cache.validate(["CCC"])) == ["CCC"]


def test_at_most_one_refresh_is_in_flight(stack: Stack, chaos: Chaos) -> None:
    stack.publish("AAA")
    cache = stack.cache()
    cache.load()
    stack.clock.now += 301  # the refresh is due
    chaos.latency(300)  # and slow, so it is still in flight while the others arrive
    start = threading.Barrier(16)
    results: list[list[str]] = []

    def request() -> None:
        start.wait()
        results.append(symbols(cache.validate(["AAA"])))

    threads = [threading.Thread(target=request) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [["AAA"]] * 16  # nobody waited for S3: the current list answered
    assert cache.refresh_now() is True  # waits for the one in flight, then one of its own
    assert len(stack.gets.sent) == 3  # load, one background refresh, refresh_now


def test_a_degraded_cache_returns_to_s3_when_it_recovers(stack: Stack, chaos: Chaos) -> None:
    chaos.faults(S3_DOWN)
    cache = stack.cache()
    cache.load()
    assert cache.status().source == "bundled"
    chaos.clear()
    stack.publish("AAA")
    stack.clock.now += DEGRADED_RETRY_SECONDS
    cache.validate(["AAPL"])  # served by the bundled list; starts a refresh in the background
    give_up = time.monotonic() + 10  # a hang guard, not a timing assertion
    while cache.status().source != "s3" and time.monotonic() < give_up:
        time.sleep(0.01)
    assert cache.status().source == "s3"
    assert symbols(cache.validate(["AAA"])) == ["AAA"]


def stale_warnings(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        vars(r)
        for r in caplog.records
        if r.getMessage().startswith("ticker list in S3 is older than the bundled one")
    ]


def test_an_s3_list_older_than_the_bundled_one_is_used_and_warned_about_once(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    bundled = load_bundled().as_of
    older = date(bundled.year - 1, 1, 1)
    stack.publish("AAA", as_of=older)
    cache = stack.cache()
    with caplog.at_level(logging.WARNING):
        cache.load()
        stack.publish("AAA", "BBB", as_of=older)
        assert cache.refresh_now() is True
    assert (cache.status().source, cache.status().symbols) == ("s3", 2)  # S3 still preferred
    assert [(w["s3_as_of"], w["bundled_as_of"]) for w in stale_warnings(caplog)] == [
        (older.isoformat(), bundled.isoformat())
    ]


def test_an_s3_list_as_new_as_the_bundled_one_is_not_warned_about(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.publish("AAA", as_of=load_bundled().as_of)
    cache = stack.cache()
    with caplog.at_level(logging.WARNING):
        cache.load()
    assert cache.status().source == "s3"
    assert stale_warnings(caplog) == []
