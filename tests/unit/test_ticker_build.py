"""The bundled ticker list as scripts/build_tickers.py builds it from the shipped directory."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from config_api.tickers import Exchange, TickerList, load_bundled
from config_api.tickers.file import ListedExchange
from scripts.build_tickers import DELISTED, INPUT, LISTED_SINCE, Row, build, classify, issuer_name


@pytest.fixture(scope="module")
def built() -> tuple[TickerList, Counter[str]]:
    return build(INPUT)


def test_counts_by_kind(built: tuple[TickerList, Counter[str]]) -> None:
    catalog, kinds = built
    assert dict(kinds) == {
        # kept
        "stock": 5299,
        "adr": 350,
        "etf": 3575,
        "etn": 59,
        "fund": 326,
        # dropped
        "test issue": 32,
        "warrant": 518,
        "right": 57,
        "unit": 171,
        "preferred": 522,
        "note": 168,
        # curated changes since the directory's date
        "delisted since": 14,
        "listed since": 5,
    }
    directory_rows = sum(kinds[k] for k in kinds if k not in ("delisted since", "listed since"))
    assert directory_rows == 11_077  # every line between the header and the creation time
    assert len(catalog) == 5299 + 350 + 3575 + 59 + 326 - 14 + 5


def test_the_shipped_list_is_the_build_of_the_shipped_directory(
    built: tuple[TickerList, Counter[str]],
) -> None:
    shipped = load_bundled().file
    rebuilt = built[0].file.model_copy(update={"generated_at": shipped.generated_at})
    assert rebuilt.to_json() == shipped.to_json()
    assert shipped.source == "NASDAQ Trader symbol directory (nasdaqtraded.txt)"
    assert shipped.as_of.isoformat() == "2024-08-01" == INPUT.stem.removeprefix("nasdaqtraded-")


def test_every_ticker_has_a_clean_name_and_a_listed_exchange() -> None:
    listed = set(get_args(ListedExchange))
    boilerplate = re.compile(r"(Common Stock|Ordinary Shares?|Common Shares?)$")
    for ticker in load_bundled():
        assert ticker.name and ticker.name == ticker.name.strip(), ticker
        assert ticker.exchange.value in listed, ticker
        assert "  " not in ticker.name, ticker
        # Left only where it tells two listings of one issuer apart (see display_names).
        if boilerplate.search(ticker.name):
            others = [t for t in load_bundled() if t.name == ticker.name]
            assert len(others) == 1, ticker


def test_the_exchanges_of_the_list() -> None:
    by_exchange = Counter(ticker.exchange for ticker in load_bundled())
    assert set(by_exchange) == set(Exchange) - {Exchange.UNKNOWN, Exchange.IEX}  # IEX: tests only
    assert by_exchange[Exchange.NASDAQ] > 4000 and by_exchange[Exchange.NYSE_ARCA] > 2000


@pytest.mark.parametrize(
    ("symbol", "name", "exchange"),
    [
        ("SPY", "SPDR S&P 500", Exchange.NYSE_ARCA),
        ("QQQ", "Invesco QQQ Trust, Series 1", Exchange.NASDAQ),
        ("VOO", "Vanguard S&P 500 ETF", Exchange.NYSE_ARCA),
        ("IWM", "iShares Russell 2000 ETF", Exchange.NYSE_ARCA),
        ("BRK.B", "Berkshire Hathaway Inc. Class B", Exchange.NYSE),
        ("BRK.A", "Berkshire Hathaway Inc. Class A", Exchange.NYSE),
        ("BF.B", "Brown Forman Inc Class B", Exchange.NYSE),
        ("RIVN", "Rivian Automotive, Inc.", Exchange.NASDAQ),
        ("LCID", "Lucid Group, Inc.", Exchange.NASDAQ),
        ("GOOG", "Alphabet Inc. Class C", Exchange.NASDAQ),
        ("GOOGL", "Alphabet Inc. Class A", Exchange.NASDAQ),
        ("GPS", None, None),  # renamed GAP since the directory's date
        ("GAP", "The Gap, Inc.", Exchange.NYSE),
        ("CBOE", "Cboe Global Markets, Inc.", Exchange.CBOE_BZX),
        ("PRK", "Park National Corporation", Exchange.NYSE_AMERICAN),
        ("NIO", "NIO Inc.", Exchange.NYSE),  # an ADR
        ("ITUB", "Itau Unibanco Banco Holding SA", Exchange.NYSE),  # ADR of preferred shares
        ("ET", "Energy Transfer LP", Exchange.NYSE),  # LP common units
        ("PFBC", "Preferred Bank", Exchange.NASDAQ),  # "Preferred" in a bank's name
        ("PFD", "Flaherty & Crumrine Preferred and Income Fund Incorporated", Exchange.NYSE),
        ("DGP", "DB Gold Double Long ETN due February 15, 2038", Exchange.NYSE_ARCA),
        ("AGNCN", None, None),  # a preferred (NASDAQ: no suffix)
        ("ABR$D", None, None),  # a preferred (NYSE)
        ("ACHR.W", None, None),  # a warrant
        ("LEV.A", None, None),  # a warrant with a class-like suffix
        ("AACT.U", None, None),  # a SPAC unit
        ("AACIU", None, None),  # a SPAC unit (NASDAQ)
        ("ASCBR", None, None),  # a right
        ("SOJE", None, None),  # a note
        ("ZVZZT", None, None),  # a test issue
    ],
)
def test_kinds_kept_and_dropped(symbol: str, name: str | None, exchange: Exchange | None) -> None:
    ticker = load_bundled().lookup(symbol)
    if name is None:
        assert ticker is None
    else:
        assert ticker is not None and (ticker.name, ticker.exchange) == (name, exchange)


def test_curated_changes_are_consistent() -> None:
    catalog = load_bundled()
    assert catalog.delisted == DELISTED
    for ticker in LISTED_SINCE:
        assert catalog.lookup(ticker.symbol) == ticker
    assert catalog.delisted["FB"] == "META" and catalog.delisted["SQ"] == "XYZ"


@pytest.mark.parametrize(
    ("symbol", "name", "etf", "kind"),
    [
        ("ABC", "Abc Corp - Common Stock", False, "stock"),
        ("ABC", "Abc Corp - Common Stock", True, "test issue"),
        ("ABCW", "Abc Acquisition Corp - Warrant", False, "warrant"),
        ("ABCU", "Abc Acquisition Corp - Units", False, "unit"),
        ("ABC$A", "Abc Corp 6% Series A", False, "preferred"),
        ("XYZ", "Xyz SA American Depositary Shares (each representing 2 Preferred)", False, "adr"),
        ("XYZ", "Xyz Inc. 5% Senior Notes due 2030", False, "note"),
        ("XYZ", "Xyz Municipal Bond Fund Common Shares", False, "fund"),
        ("XYZ", "Xyz Gold ETN due 2040", True, "etn"),
    ],
)
def test_classify(symbol: str, name: str, etf: bool, kind: str) -> None:
    assert classify(symbol, name, etf=etf, test_issue=kind == "test issue") == kind


@pytest.mark.parametrize(
    ("raw", "kind", "issuer"),
    [
        ("Agilent Technologies, Inc. Common Stock", "stock", "Agilent Technologies, Inc."),
        ("Rivian Automotive, Inc. - Class A Common Stock", "stock", "Rivian Automotive, Inc."),
        ("Home Depot, Inc. (The) Common Stock", "stock", "The Home Depot, Inc."),
        ("Accenture plc Class A Ordinary Shares (Ireland)", "stock", "Accenture plc"),
        ("Vital Energy, Inc. Common Stock, par value $0.01 per share", "stock", "Vital Energy, Inc."),  # noqa: E501
        ("MPLX LP Common Units Representing Limited Partner Interests", "stock", "MPLX LP"),
        ("NIO Inc. American depositary shares, each representing one Class A", "adr", "NIO Inc."),
        ("China A Share Fund Inc. Common Stock", "fund", "China A Share Fund Inc."),
        ("Rand Capital Corporation - Closed End Fund", "fund", "Rand Capital Corporation"),
        ("VanEck ETF Trust VanEck IG Floating Rate ETF", "etf", "VanEck IG Floating Rate ETF"),
        ("Bitwise Bitcoin ETF Common Shares of Beneficial Interest", "etf", "Bitwise Bitcoin ETF"),
        ("Direxion Daily AAPL Bull 2X Shares", "etf", "Direxion Daily AAPL Bull 2X Shares"),
    ],
)  # fmt: skip
def test_issuer_names_drop_the_security_description(raw: str, kind: str, issuer: str) -> None:
    assert issuer_name(Row("X", raw, Exchange.NYSE, kind)) == issuer


def test_a_file_that_is_not_the_directory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nasdaqlisted.txt"
    path.write_text("Symbol|Security Name\nAAPL|Apple\nFile Creation Time: 0801202421:32\n")
    with pytest.raises(ValueError, match="unexpected header"):
        build(path)
