"""Regenerate src/config_api/tickers/data/us_tickers.json from registry packages.

    pip install -e '.[tickers]' && python scripts/build_tickers.py

Symbols and exchanges come from `stocktickers` (NASDAQ and NYSE lists, symbols only);
company names from `pytickersymbols` (index members only, so most symbols get no name).
The `DELISTED` map below is curated by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import stocktickers
from pytickersymbols.indices_data import INDICES

from config_api.tickers.catalog import Ticker, TickerList, is_well_formed, normalise_symbol

OUTPUT = Path(__file__).resolve().parents[1] / "src/config_api/tickers/data/us_tickers.json"

# Old symbol -> successor (None: acquired, taken private or failed). Only well-known cases;
# every successor must be in the active list and no old symbol may be. Note that FISV is
# active again (Fiserv moved from NYSE "FI" back to Nasdaq "FISV" in 2025), so FI -> FISV.
DELISTED: dict[str, str | None] = {
    # Renames and share exchanges into a successor symbol.
    "FB": "META", "ANTM": "ELV", "FI": "FISV", "SQ": "XYZ", "PEAK": "DOC", "HCP": "DOC",
    "FLT": "CPAY", "RE": "EG", "PKI": "RVTY", "WLTW": "WTW", "COG": "CTRA", "PARA": "PSKY",
    "DISCA": "WBD", "DISCK": "WBD", "RDS.A": "SHEL", "RDS.B": "SHEL", "GPS": "GAP",
    "BLL": "BALL", "HRS": "LHX", "NLOK": "GEN", "TOT": "TTE", "CTL": "LUMN", "MYL": "VTRS",
    "UTX": "RTX", "ABC": "COR", "ADS": "BFH", "DWAC": "DJT", "CHK": "EXE", "CDAY": "DAY",
    # Acquired, taken private or failed.
    "TWTR": None, "ATVI": None, "CERN": None, "XLNX": None, "SIVB": None, "FRC": None,
    "VMW": None, "CTXS": None, "SPLK": None, "ABMD": None, "PXD": None, "MRO": None,
    "HES": None, "ANSS": None, "JNPR": None, "CTLT": None, "DFS": None, "WBA": None,
    "X": None, "KSU": None, "TIF": None, "NLSN": None, "ZEN": None, "SGEN": None,
    "HZNP": None, "ZNGA": None,
}  # fmt: skip

# Upstream errors in pytickersymbols: STM (STMicroelectronics) is filed under "STABILUS SE".
NAME_BLOCKLIST = frozenset({"STM"})

US_INDICES = ("DOW JONES", "NASDAQ 100", "S&P 100", "S&P 500", "S&P 600")
US_PREFIXES = frozenset({"NYSE", "NASDAQ"})  # of pytickersymbols' Google Finance symbols
# `traded_as` spellings in pytickersymbols metadata -> our exchange names.
TRADED_AS = {
    "NYSE": "NYSE",
    "NASDAQ": "NASDAQ",
    "AMEX": "NYSE American",
    "NYSE AMERICAN": "NYSE American",
}
WIKI_SUFFIX = re.compile(r" \((?!Class )[^()]*\)$")  # "PTC (software company)" -> "PTC"


def clean_name(name: str) -> str:
    return WIKI_SUFFIX.sub("", name.strip())


def mentions_us_listing(company: dict[str, Any], symbol: str) -> bool:
    """Whether the company's own `traded_as` text names `symbol` on a US exchange.

    Secondary symbols in pytickersymbols are partly stale (BALY filed under Ball Corp.,
    SI under Siemens), so a name is only taken from one when this confirms it.
    """
    traded_as = (company.get("metadata") or {}).get("traded_as") or ""
    pattern = rf"(?:NYSE|Nasdaq|NASDAQ)[^:]*:\s*{re.escape(symbol)}\b"
    return re.search(pattern, traded_as) is not None


def traded_as_exchange(company: dict[str, Any]) -> str | None:
    traded_as = (company.get("metadata") or {}).get("traded_as") or ""
    head = traded_as.split(":", 1)[0].strip().upper()
    return TRADED_AS.get(head) if ":" in traded_as else None


def index_names() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Names by US symbol, and the US-index members keyed by their primary symbol."""
    names: dict[str, str] = {}
    members: dict[str, dict[str, Any]] = {}
    for index in US_INDICES:  # primary symbols of US index members first: most reliable
        for company in INDICES[index]["companies"]:
            symbol = normalise_symbol(company["symbol"])
            members.setdefault(symbol, company)
            names.setdefault(symbol, clean_name(company["name"]))
    for data in INDICES.values():  # then confirmed US listings (ADRs, other share classes)
        for company in data["companies"]:
            for listing in company.get("symbols") or []:
                prefix, _, raw = (listing.get("google") or "").partition(":")
                symbol = normalise_symbol(raw)
                if prefix in US_PREFIXES and mentions_us_listing(company, raw):
                    names.setdefault(symbol, clean_name(company["name"]))
    for symbol in NAME_BLOCKLIST:
        names.pop(symbol, None)
    return names, members


def build() -> tuple[TickerList, list[str]]:
    notes: list[str] = []
    exchanges: dict[str, str] = {}
    for exchange, symbols in (("NASDAQ", stocktickers.nasdaq), ("NYSE", stocktickers.nyse)):
        for raw in symbols:
            symbol = normalise_symbol(raw)
            # Lower-case entries are scraped page text ("Stocks"); upper-casing could pass them.
            if raw != raw.upper() or not is_well_formed(symbol):
                notes.append(f"dropped {exchange} entry {raw!r}")
            elif exchanges.setdefault(symbol, exchange) != exchange:
                notes.append(f"{symbol} is in both lists; kept {exchanges[symbol]}")
    names, members = index_names()
    # US index members the exchange lists lack (Cboe-listed, NYSE American, newer symbols).
    for symbol, company in members.items():
        if symbol not in exchanges and symbol not in DELISTED and is_well_formed(symbol):
            exchanges[symbol] = traded_as_exchange(company) or ""
            notes.append(f"added index member {symbol} ({exchanges[symbol] or 'exchange unknown'})")
    for old in DELISTED:
        if exchanges.pop(old, None) is not None:
            notes.append(f"dropped delisted {old} from the active list")
    tickers = [Ticker(s, names.get(s), e or None) for s, e in sorted(exchanges.items())]
    source = (
        f"stocktickers {version('stocktickers')} (NASDAQ and NYSE symbol lists); "
        f"pytickersymbols {version('pytickersymbols')} (names of index members)"
    )
    note = (
        "'delisted' maps old symbols to their successor (null: acquired or gone); "
        "it is curated by hand in scripts/build_tickers.py"
    )
    catalog = TickerList(
        tickers, DELISTED, source=source, generated_at=date.today().isoformat(), note=note
    )
    return catalog, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    catalog, notes = build()
    data = catalog.to_json()
    TickerList.from_json(data)  # never write a file the service would refuse to load
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    for line in sorted(set(notes)):
        print(line, file=sys.stderr)
    by_exchange: dict[str, int] = {}
    for ticker in catalog:
        key = ticker.exchange or "unknown"
        by_exchange[key] = by_exchange.get(key, 0) + 1
    named = sum(ticker.name is not None for ticker in catalog)
    print(f"wrote {len(catalog)} symbols ({named} named) {by_exchange} to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
