"""Ticker symbol normalisation, the bundled list, and validation errors."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config_api.domain.errors import InvalidSymbol, InvalidTickers
from config_api.tickers import (
    SYMBOL_PATTERN,
    Exchange,
    Ticker,
    TickerList,
    describe,
    is_well_formed,
    load_bundled,
    normalise_symbol,
    validate_any,
)
from config_api.tickers.file import ListedExchange


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("aapl", "AAPL"),
        ("  msft\t\n", "MSFT"),
        ("BRK.B", "BRK.B"),
        ("brk-b", "BRK.B"),
        ("BRK/B", "BRK.B"),
        ("brk b", "BRK.B"),
        (" brk.b ", "BRK.B"),
        ("bf-a", "BF.A"),
        ("BRK  B", "BRK  B"),  # only a single separator is a class-share separator
        ("BRK--B", "BRK--B"),
        ("ABCDEF-G", "ABCDEF-G"),  # base too long: left alone, hence malformed
        ("$AAPL", "$AAPL"),
        ("", ""),
    ],
)
def test_normalise_symbol(raw: str, expected: str) -> None:
    assert normalise_symbol(raw) == expected


@pytest.mark.parametrize("symbol", ["A", "AAPL", "GOOGL", "BRK.B", "MOG.A", "ABCDE.XY"])
def test_well_formed(symbol: str) -> None:
    assert is_well_formed(symbol)


@pytest.mark.parametrize(
    "symbol",
    ["", "aapl", "ABCDEF", "BRK-B", "BRK.", ".B", "BRK.BCD", "A1", "AAPL\n", " AAPL", "ÄPL"],
)
def test_not_well_formed(symbol: str) -> None:
    assert not is_well_formed(symbol)


def test_bundled_list_has_the_well_known_symbols() -> None:
    tickers = load_bundled()
    assert 9000 < len(tickers) < 11000
    assert tickers.lookup("AAPL") == Ticker("AAPL", "Apple Inc.", Exchange.NASDAQ)
    assert tickers.lookup("JPM") == Ticker("JPM", "JP Morgan Chase & Co.", Exchange.NYSE)
    assert tickers.lookup("spy") == Ticker("SPY", "SPDR S&P 500", Exchange.NYSE_ARCA)
    msft = tickers.lookup("msft")
    assert msft is not None and msft.exchange == "NASDAQ"
    brk = tickers.lookup("brk-b")
    assert brk == Ticker("BRK.B", "Berkshire Hathaway Inc. Class B", Exchange.NYSE)
    assert "BRK/A" in tickers and "BF.B" in tickers
    assert "FB" not in tickers and "ZZZZZ" not in tickers
    assert tickers.source == "NASDAQ Trader symbol directory (nasdaqtraded.txt)"
    assert tickers.as_of == date(2024, 8, 1)


def test_bundled_delisted_map_is_consistent() -> None:
    tickers = load_bundled()
    assert tickers.delisted["FB"] == "META"
    assert tickers.delisted["TWTR"] is None
    for old, successor in tickers.delisted.items():
        assert old not in tickers
        assert successor is None or successor in tickers


def test_bundled_file_is_what_to_json_writes() -> None:
    path = resources.files("config_api.tickers").joinpath("data").joinpath("us_tickers.json")
    raw = path.read_bytes()
    assert len(raw) < 1024 * 1024
    assert load_bundled().to_json() == raw


def test_validate_returns_known_tickers_in_order() -> None:
    result = load_bundled().validate([" aapl", "brk-b", "JPM"])
    assert [t.symbol for t in result] == ["AAPL", "BRK.B", "JPM"]
    assert result[0].name == "Apple Inc."
    assert result[1].name == "Berkshire Hathaway Inc. Class B"


def test_validate_names_every_invalid_symbol() -> None:
    raw = ["aapl", "ZZZZZ", "AAPL", "fb", "b$d", "TWTR", "msft", "brk/b", "BRK.B"]
    with pytest.raises(InvalidTickers) as caught:
        load_bundled().validate(raw)
    assert caught.value.invalid == [
        InvalidSymbol(index=1, symbol="ZZZZZ", reason="unknown"),
        InvalidSymbol(index=2, symbol="AAPL", reason="duplicate"),
        InvalidSymbol(index=3, symbol="FB", reason="delisted", successor="META"),
        InvalidSymbol(index=4, symbol="b$d", reason="malformed"),
        InvalidSymbol(index=5, symbol="TWTR", reason="delisted"),
        InvalidSymbol(index=8, symbol="BRK.B", reason="duplicate"),
    ]
    errors = caught.value.errors
    assert [e.loc for e in errors] == [("body", "tickers", i) for i in (1, 2, 3, 4, 5, 8)]
    assert errors[2].extra == {"symbol": "FB", "successor": "META"}


def test_validate_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        load_bundled().validate("AAPL")


def test_validate_any_checks_only_form_and_duplicates() -> None:
    # Named from the bundled list where it knows them (even FB, which it calls delisted).
    assert validate_any(["zzzzz", "fb", "brk-b"]) == [
        Ticker("ZZZZZ", "ZZZZZ", Exchange.UNKNOWN),
        Ticker("FB", "FB", Exchange.UNKNOWN),
        Ticker("BRK.B", "Berkshire Hathaway Inc. Class B", Exchange.NYSE),
    ]
    with pytest.raises(InvalidTickers) as caught:
        validate_any(["AAPL", "TOOLONG", "aapl"])
    assert caught.value.invalid == [
        InvalidSymbol(index=1, symbol="TOOLONG", reason="malformed"),
        InvalidSymbol(index=2, symbol="AAPL", reason="duplicate"),
    ]


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "source": "test",
        "as_of": "2024-01-01",
        "generated_at": "2024-01-02",
        "count": 2,
        "tickers": [["META", "Meta Platforms", "NASDAQ"], ["BRK.B", "Berkshire", "NYSE"]],
        "delisted": {"FB": "META", "TWTR": None},
    }
    doc.update(changes)
    return doc


def test_from_json_round_trip() -> None:
    tickers = TickerList.from_json(json.dumps(_doc()))
    again = TickerList.from_json(tickers.to_json())
    assert list(again) == [
        Ticker("BRK.B", "Berkshire", Exchange.NYSE),
        Ticker("META", "Meta Platforms", Exchange.NASDAQ),
    ]
    assert dict(again.delisted) == {"FB": "META", "TWTR": None}
    assert (again.source, again.as_of) == ("test", date(2024, 1, 1))
    assert again.to_json() == tickers.to_json()


def _rows(*symbols: str) -> list[list[str]]:
    return [[symbol, f"{symbol} Corp", "NYSE"] for symbol in symbols]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_doc(tickers=[], count=0), "tickers\n  List should have at least 1 item"),
        (_doc(tickers=_rows("META", "META", "X", "X")), "duplicate ticker symbol.s.: META, X"),
        (_doc(count=3), "'count' is 3 but the list has 2"),
        (_doc(count="2"), "count\n  Input should be a valid integer"),
        ({k: v for k, v in _doc().items() if k != "delisted"}, "delisted\n  Field required"),
        ({k: v for k, v in _doc().items() if k != "as_of"}, "as_of\n  Field required"),
        (_doc(as_of="yesterday"), "as_of\n  Input should be a valid date"),
        (_doc(extra=1), "extra\n  Extra inputs are not permitted"),
        (_doc(source=1), "source\n  Input should be a valid string"),
        (_doc(source=""), "source\n  String should have at least 1 character"),
        (_doc(tickers=_rows("META", "brk-b")), "tickers.1.0\n  String should match pattern"),
        (_doc(tickers=_rows("META", "BRK.B\n")), "tickers.1.0\n  String should match pattern"),
        (_doc(tickers=[["X", 3, "NYSE"], ["Y", "Y", "NYSE"]]), "tickers.0.1\n  Input should be"),
        (_doc(tickers=[["X", "", "NYSE"], ["Y", "Y", "NYSE"]]), "tickers.0.1\n  String should"),
        (_doc(tickers=[["X", " X", "NYSE"], ["Y", "Y", "NYSE"]]), "tickers.0.1\n  String should"),
        (_doc(tickers=[["X", "X\nY", "NYSE"], ["Y", "Y", "NYSE"]]), "tickers.0.1\n  String"),
        (_doc(tickers=[["X", "X", None], ["Y", "Y", "NYSE"]]), "tickers.0.2\n  Input should be"),
        (_doc(tickers=[["X", "X", "Unknown"], ["Y", "Y", "NYSE"]]), "tickers.0.2\n  Input should"),
        (_doc(tickers=[["X", "X", "Nasdaq"], ["Y", "Y", "NYSE"]]), "tickers.0.2\n  Input should"),
        (_doc(tickers=[["X", "X"], ["Y", "Y", "NYSE"]]), "tickers.0.2\n  Field required"),
        (_doc(tickers=[{"symbol": "X", "name": "X", "exchange": "NYSE"}]), "tickers.0\n  Input"),
        (_doc(delisted={"FB": "NOPE"}), "successor NOPE of delisted FB is not listed"),
        (_doc(delisted={"META": None}), "META is both listed and delisted"),
        (_doc(delisted={"fb": None}), r"delisted.fb.\[key\]\n  String should match pattern"),
        (_doc(delisted=["FB"]), "delisted\n  Input should be an object"),
        ([], "Input should be an object"),
    ],
)
def test_from_json_rejects_bad_documents(doc: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TickerList.from_json(json.dumps(doc))


def test_from_json_rejects_invalid_json() -> None:
    with pytest.raises(ValueError, match="Invalid JSON"):
        TickerList.from_json(b"{not json")


def test_exchange_enum_is_the_listed_exchanges_and_unknown() -> None:
    assert set(get_args(ListedExchange)) == {e.value for e in Exchange} - {"Unknown"}


def test_describe_names_symbols_the_bundled_list_lacks_by_themselves() -> None:
    assert describe("AAPL") == Ticker("AAPL", "Apple Inc.", Exchange.NASDAQ)
    assert describe("QWXYZ") == Ticker("QWXYZ", "QWXYZ", Exchange.UNKNOWN)


symbol_like = st.builds(
    lambda base, sep, cls, pad: f"{pad}{base}{sep}{cls}{pad}",
    st.text("abcdefghijklmnopqrstuvwxyzABCXYZ", min_size=1, max_size=5),
    st.sampled_from(["-", "/", " ", "."]),
    st.text("abcxyzABCXYZ", min_size=1, max_size=2),
    st.sampled_from(["", " ", "\t", "  \n"]),
)


@given(st.one_of(st.text(), symbol_like))
def test_normalise_is_idempotent_and_output_matches_pattern(raw: str) -> None:
    once = normalise_symbol(raw)
    assert normalise_symbol(once) == once
    if is_well_formed(once):
        assert SYMBOL_PATTERN.fullmatch(once)
        assert once == once.strip() and once.upper() == once


@given(symbol_like)
def test_class_share_spellings_normalise_to_the_dotted_form(raw: str) -> None:
    base, cls = raw.strip().replace("-", ".").replace("/", ".").replace(" ", ".").split(".")
    assert normalise_symbol(raw) == f"{base.upper()}.{cls.upper()}"
    assert is_well_formed(normalise_symbol(raw))


# Each upper-cases to a real ASCII symbol: IBM, SPY, FF, ...
LOOKALIKES = ["\u0131bm", "\u017fpy", "\ufb00", "a\u0131pl", "\u0131"]


@pytest.mark.parametrize("raw", LOOKALIKES)
def test_non_ascii_never_upper_cases_into_a_symbol(raw: str) -> None:
    assert not is_well_formed(normalise_symbol(raw))
    assert raw not in load_bundled() and load_bundled().lookup(raw) is None
    with pytest.raises(InvalidTickers) as caught:
        load_bundled().validate([raw])
    assert caught.value.invalid == [InvalidSymbol(index=0, symbol=raw, reason="malformed")]
    with pytest.raises(InvalidTickers):
        validate_any([raw])


@given(st.text())
def test_only_ascii_input_can_become_a_symbol(raw: str) -> None:
    if is_well_formed(normalise_symbol(raw)):
        assert raw.strip().isascii()
