"""Ticker search and single-symbol validation over the bundled list."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_api.domain.errors import InvalidInput
from config_api.tickers import Exchange, Ticker, load_bundled, normalise_symbol
from config_api.tickers.search import _key, check, search

ROWS = load_bundled().file.tickers


def symbols(query: str, limit: int = 10) -> list[str]:
    return [ticker.symbol for ticker in search(load_bundled(), query, limit)]


def reference(query: str, limit: int) -> list[str]:
    """The ranking as the contract states it, the slow way: every row, sorted."""
    exact, prefix, key = (
        normalise_symbol(query),
        query.strip().upper().replace("-", "."),
        _key(query),
    )

    def tier(symbol: str, name: str) -> int | None:
        if symbol == exact:
            return 0
        if symbol.startswith(prefix):
            return 1
        if key and name.startswith(key):
            return 2
        if key and f" {key}" in f" {name}":
            return 3
        if key and key in name:
            return 4
        return None

    ranked = []
    for symbol, name, _ in ROWS:
        found = tier(symbol, _key(name))
        if found is not None:
            ranked.append((found, len(symbol.split(".")[0]), symbol))
    return [symbol for *_, symbol in sorted(ranked)[:limit]]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("apple", ["AAPL", "APLE"]),  # the names starting with it before the other mentions
        ("spy", ["SPY", "SPYC"]),
        ("SPY", ["SPY"]),
        ("brk-b", ["BRK.B"]),
        ("brk/b", ["BRK.B"]),
        ("brk.", ["BRK.A", "BRK.B"]),
        ("brk", ["BRK.A", "BRK.B", "BRKH"]),  # a class suffix does not count in the length
        ("bf", ["BF.A", "BF.B", "BFC"]),
        ("rivian", ["RIVN"]),
        ("Alphabet", ["GOOG", "GOOGL"]),
        ("at&t", ["T"]),
        ("hathaway", ["BRK.A", "BRK.B"]),
        ("zzzzzz", []),
    ],
)
def test_ranking(query: str, first: list[str]) -> None:
    assert symbols(query)[: len(first)] == first


def test_berkshire_finds_both_classes_before_funds_naming_it() -> None:
    found = symbols("berkshire")
    assert {"BRK.A", "BRK.B"} < set(found[:3])  # with Berkshire Hills Bancorp (BHLB)
    assert found.index("BRK.B") < found.index("BDVG")  # "...IMGP Berkshire Dividend..." ETF


@pytest.mark.parametrize("limit", [1, 5, 20])
def test_limit(limit: int) -> None:
    assert len(symbols("a", limit)) == limit
    assert symbols("a", limit) == symbols("a", 20)[:limit]


def test_results_carry_name_and_exchange() -> None:
    (spy, *_) = search(load_bundled(), "spy", 1)
    assert spy == Ticker("SPY", "SPDR S&P 500", Exchange.NYSE_ARCA)


@pytest.mark.parametrize("query", ["", " ", "\t\n"])
def test_blank_query_is_invalid_input(query: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        search(load_bundled(), query, 10)
    assert caught.value.errors[0].loc == ("query", "q")


def test_without_a_list_suggestions_come_from_the_bundled_one() -> None:
    assert search(None, "apple", 3) == search(load_bundled(), "apple", 3)


pieces = st.sampled_from(ROWS).flatmap(
    lambda row: st.sampled_from([row[0], row[1]]).flatmap(
        lambda text: st.tuples(st.integers(0, len(text) - 1), st.integers(1, 12)).map(
            lambda cut: text[cut[0] : cut[0] + cut[1]]
        )
    )
)
queries = st.one_of(
    pieces,
    pieces.map(str.lower),
    pieces.map(str.upper),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789 &.-/", min_size=1, max_size=6),
).filter(str.strip)


@settings(max_examples=150, deadline=None)
@given(queries, st.integers(1, 20))
def test_search_ranks_as_the_contract_states(query: str, limit: int) -> None:
    assert symbols(query, limit) == reference(query, limit)


@pytest.mark.parametrize(
    ("raw", "status", "symbol", "successor", "message"),
    [
        ("SPY", "valid", "SPY", None, "SPY is listed on NYSE Arca"),
        ("brk/b", "valid", "BRK.B", None, "BRK.B is listed on NYSE"),
        ("fb", "delisted", "FB", "META", "FB is delisted; use META"),
        ("TWTR", "delisted", "TWTR", None, "TWTR is delisted"),
        ("ZZZZZ", "invalid", "ZZZZZ", None, "ZZZZZ is not a known US-listed symbol"),
        ("b$d", "invalid", "b$d", None, "'b$d' is not a well-formed ticker symbol"),
        ("ABR$D", "invalid", "ABR$D", None, "'ABR$D' is not a well-formed ticker symbol"),
        ("ACHR.W", "invalid", "ACHR.W", None, "ACHR.W is not a known US-listed symbol"),
    ],
)
def test_check(raw: str, status: str, symbol: str, successor: str | None, message: str) -> None:
    result = check(load_bundled(), raw)
    assert (result.status, result.symbol, result.successor, result.message) == (
        status,
        symbol,
        successor,
        message,
    )
    assert (result.ticker is not None) == (status == "valid")


def test_check_without_a_list_accepts_well_formed_symbols() -> None:
    unknown = check(None, "qwxyz")
    assert (unknown.status, unknown.ticker) == ("valid", Ticker("QWXYZ", "QWXYZ", Exchange.UNKNOWN))
    assert "unavailable" in unknown.message
    assert check(None, "aapl").ticker == Ticker("AAPL", "Apple Inc.", Exchange.NASDAQ)
    assert check(None, "b$d").status == "invalid"
