"""Regenerate src/config_api/tickers/data/us_tickers.json from NASDAQ Trader's directory.

    python scripts/build_tickers.py [--input scripts/data/nasdaqtraded-YYYY-MM-DD.txt]

The input is NASDAQ Trader's `nasdaqtraded.txt`: every symbol traded on a US exchange, one
per line, pipe-separated, its last line the file's creation time. Each symbol is classified
by its suffix and its security name (the directory has no "kind" column except ETF):

- kept: common and ordinary shares, class shares (`BRK.B`), ADRs, LP units, REIT and trust
  shares, ETFs, ETNs and closed-end funds;
- dropped: test issues, warrants, rights, SPAC units, preferreds and notes. Preferreds and
  notes are income securities of an issuer whose common stock is listed anyway; they have no
  sentiment of their own, and their symbols have no spelling shared across venues (`ABR$D`
  here, `ABR-PD`, `ABR.PRD` or `ABR^D` elsewhere), while the NASDAQ ones look like stocks
  (`AGNCN`) and would only clutter a typeahead.

The `DELISTED` map and the `LISTED_SINCE` rows below are curated by hand: they carry what
changed after the directory was published (renames, acquisitions).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from config_api.tickers.catalog import Ticker, TickerList, is_well_formed
from config_api.tickers.file import Exchange

ROOT = Path(__file__).resolve().parents[1]
INPUT = ROOT / "scripts/data/nasdaqtraded-2024-08-01.txt"
OUTPUT = ROOT / "src/config_api/tickers/data/us_tickers.json"
SOURCE = "NASDAQ Trader symbol directory (nasdaqtraded.txt)"

HEADER = (
    "Nasdaq Traded|Symbol|Security Name|Listing Exchange|Market Category|ETF|Round Lot Size|"
    "Test Issue|Financial Status|CQS Symbol|NASDAQ Symbol|NextShares"
)
EXCHANGES = {
    "Q": Exchange.NASDAQ,
    "N": Exchange.NYSE,
    "A": Exchange.NYSE_AMERICAN,
    "P": Exchange.NYSE_ARCA,
    "Z": Exchange.CBOE_BZX,
    "V": Exchange.IEX,
}
INCLUDED = ("stock", "adr", "etf", "etn", "fund")
EXCLUDED = ("test issue", "warrant", "right", "unit", "preferred", "note")

# Old symbol -> successor (None: acquired, taken private or failed). Only well-known cases;
# every successor must be listed (in the directory or in LISTED_SINCE).
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

# Successors listed after the directory's date (the new symbols of the renames above).
LISTED_SINCE = (
    Ticker("EXE", "Expand Energy Corporation", Exchange.NASDAQ),
    Ticker("FISV", "Fiserv, Inc.", Exchange.NASDAQ),
    Ticker("GAP", "The Gap, Inc.", Exchange.NYSE),
    Ticker("PSKY", "Paramount Skydance Corporation", Exchange.NASDAQ),
    Ticker("XYZ", "Block, Inc.", Exchange.NYSE),
)


@dataclass(frozen=True)
class Row:
    symbol: str
    name: str  # whitespace-normalised security name
    exchange: Exchange
    kind: str


# -- classification ---------------------------------------------------------------------
_ADR = re.compile(
    r"\b(?:American|Global) Deposit[ao]ry (?:Shares?|Receipts?)\b|\bADS\b(?!-)|\bADRs?\b", re.I
)
_ETN = re.compile(r"\bETNs?\b|\bExchange[- ]Traded Notes?\b", re.I)
_UNIT = re.compile(
    r"\bUnits?,? each\b|\bUnits? consisting\b| - Units?$|\bSubunits?\b|\bTangible Equity Units?\b",
    re.I,
)
_WARRANT = re.compile(r"\bWarrants?\b", re.I)
_RIGHT = re.compile(r"\bRights?\b", re.I)
# Without "American"/"Global" (ADRs, tested first), depositary shares are fractions of a
# preferred share. "Preferred" alone also names banks and preferred-income funds.
_PREFERRED = re.compile(
    r"\bPreferred (?:Stock|Shares?|Securities|Units?|Class)\b|\bPerp(?:etual)? Pfd\b"
    r"|\bPreference Shares?\b|\bDeposit[ao]ry Shares?\b|\bCapital Trust [IVX]+$",
    re.I,
)
_NOTE = re.compile(
    r"\b(?:Notes?|Debentures?|Bonds?)\b.*\bdue\b|\bDebentures?\b|\b(?:Senior|Subordinated) Notes?\b"
    r"|\bSTRATS\b|\bCorTS\b|\bTr(?:ust)? Certs\b|\bTrust Securities\b",
    re.I,
)
_FUND = re.compile(r"\bFund\b|\bClosed End\b", re.I)


# Kinds told by the name, the first match wins. ADRs may represent preferred shares or units
# (ITUB, ELP) and units name their warrants: the more specific kinds come first.
_KIND_BY_NAME = (
    (_ETN, "etn"),
    (_ADR, "adr"),
    (_UNIT, "unit"),
    (_WARRANT, "warrant"),
    (_PREFERRED, "preferred"),
    (_RIGHT, "right"),
    (_NOTE, "note"),
    (_FUND, "fund"),
)
_KIND_BY_SUFFIX = {"W": "warrant", "U": "unit", "R": "right"}  # other suffixes: classes (BRK.B)


def classify(symbol: str, name: str, etf: bool, test_issue: bool) -> str:
    """The kind of a directory row: one of INCLUDED or EXCLUDED."""
    if test_issue:
        return "test issue"
    if "$" in symbol:  # the directory's preferred-series separator (ABR$D)
        return "preferred"
    suffix = symbol.partition(".")[2]
    if suffix in _KIND_BY_SUFFIX:
        return _KIND_BY_SUFFIX[suffix]
    if etf:
        return "etn" if _ETN.search(name) else "etf"
    return next((kind for pattern, kind in _KIND_BY_NAME if pattern.search(name)), "stock")


# -- names ----------------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")
_CLASS = re.compile(r"\b(Class|Series) ([A-Z])\b", re.I)
# The words a security's description is made of ("Class A Common Stock", "Common Units
# representing limited partner interests", "Ordinary Shares (Ireland)", "$0.01 par value").
_DESCRIPTION_WORD = (
    r"(?:New|Class(?: [A-Z](?:-\d)?)?|Series [A-Z]|Common|Ordinary|Ord|Capital Stock|Stock"
    r"|Shares?|Units?|ADSs|Non-?Voting|Voting|(?:Limited|Subordinate|Restricted|Multiple"
    r"|Variable) Voting|Sub\. Vot\.|Exchangeable|Subordinate|Depositary|(?:NY|New York) Registry"
    r"|REIT|of Beneficial (?:Interests?|Ownership)|representing limited (?:partner(?:ship)?"
    r"|liability company) interests?|\([^()]*\)|\$?[\d.]+ par value(?: per share)?"
    r"|(?:no )?par value(?: \$?[\d.]+)?(?: per share)?|and|,|-)"
)
# The description at the end of a name (NASDAQ: "Issuer - Description", NYSE: "Issuer
# Description"), holding at least one word that says "shares".
_DESCRIPTION = re.compile(
    r"(?:\s+-)?(?:\s+|(?<=[).]))(?:(?<=\s-\s)|(?=.*\b(?:Stock|Shares?|Units?|Common|Ord|ADSs)\b))"
    rf"{_DESCRIPTION_WORD}(?:\s*{_DESCRIPTION_WORD})*\s*$",
    re.I,
)
_ADR_DESCRIPTION = re.compile(
    r"(?:\s+-)?\s+(?:Common Stock |Sponsored |Unsponsored |ADS )*(?:" + _ADR.pattern + r").*$",
    re.I,
)
_BENEFICIAL = re.compile(r"\s+(?:Common )?Shares of Beneficial Interests?$", re.I)
_THE = re.compile(r"^(.*?),? \(The\)(?=\s|$)")
_CLOSED_END = re.compile(r"\s+-\s+Closed End Fund$", re.I)


def issuer_name(row: Row) -> str:
    """The display name without the security's boilerplate description."""
    # "Gap, Inc. (The) Common Stock" -> "The Gap, Inc. Common Stock"
    name = _THE.sub(r"The \1", row.name)
    if row.kind == "adr":
        name = _ADR_DESCRIPTION.sub("", name)
    elif row.kind in ("stock", "fund"):
        name = _DESCRIPTION.sub("", name)
    else:  # ETFs and ETNs: "VanEck ETF Trust VanEck IG Floating Rate ETF" -> from "VanEck IG"
        name = _BENEFICIAL.sub("", name)
        brand = name.split(" ", 1)[0]
        again = name.find(f" {brand} ", len(brand))
        if again > 0 and len(brand) > 2:
            name = name[again + 1 :]
    return _CLOSED_END.sub("", name).rstrip(" ,;-") or row.name


def class_label(row: Row) -> str | None:
    """ "Class B" from the name, else from the symbol's suffix (BRK.B): tells classes apart."""
    found = _CLASS.search(row.name.split(" - ")[-1])
    if found:
        return f"{found[1].capitalize()} {found[2].upper()}"
    suffix = row.symbol.partition(".")[2]
    return f"Class {suffix}" if suffix else None


def display_names(rows: list[Row]) -> dict[str, str]:
    """Issuer names; where several symbols share one, each gets its class, else its
    whole security name if that tells them apart."""
    by_issuer: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_issuer[issuer_name(row)].append(row)
    names: dict[str, str] = {}
    for issuer, group in by_issuer.items():
        if len(group) == 1:
            names[group[0].symbol] = issuer
            continue
        labels = [class_label(row) for row in group]
        # At most one listing without a class (AGM beside AGM.A) and no class twice.
        distinct = labels.count(None) <= 1 and len(set(labels)) == len(labels)
        whole = len({row.name for row in group}) == len(group)
        for row, label in zip(group, labels, strict=True):
            if distinct or not whole:
                names[row.symbol] = f"{issuer} {label}" if label else issuer
            else:
                names[row.symbol] = row.name
    return names


# -- reading and building --------------------------------------------------------------------
def read_directory(path: Path) -> tuple[list[Row], date]:
    """Every row of the directory with its kind, and the file's creation date."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != HEADER:
        raise ValueError(f"{path}: not a nasdaqtraded.txt file (unexpected header)")
    created = re.fullmatch(r"File Creation Time: (\d{8})\d\d:\d\d\|*", lines[-1])
    if created is None:
        raise ValueError(f"{path}: the last line is not the file creation time")
    as_of = datetime.strptime(created[1], "%m%d%Y").date()
    rows = []
    for number, line in enumerate(lines[1:-1], start=2):
        fields = line.split("|")
        if len(fields) != 12 or fields[3] not in EXCHANGES:
            raise ValueError(f"{path}:{number}: malformed row {line!r}")
        symbol, name = fields[1], _SPACES.sub(" ", fields[2]).strip()
        kind = classify(symbol, name, fields[5] == "Y", fields[7] == "Y")
        rows.append(Row(symbol, name, EXCHANGES[fields[3]], kind))
    return rows, as_of


def build(path: Path = INPUT) -> tuple[TickerList, Counter[str]]:
    """The ticker list, and how many directory rows of each kind it kept or dropped."""
    rows, as_of = read_directory(path)
    kinds = Counter(row.kind for row in rows)
    kept = [row for row in rows if row.kind in INCLUDED and row.symbol not in DELISTED]
    for row in kept:
        if not is_well_formed(row.symbol):
            raise ValueError(f"kept symbol {row.symbol!r} is not in canonical form")
    kinds["delisted since"] = sum(row.symbol in DELISTED for row in rows)
    names = display_names(kept)
    tickers = [Ticker(row.symbol, names[row.symbol], row.exchange) for row in kept]
    tickers += LISTED_SINCE
    kinds["listed since"] = len(LISTED_SINCE)
    note = (
        f"{path.name} created {as_of.isoformat()}; kept stocks, ADRs, ETFs, ETNs and funds; "
        "dropped test issues, warrants, rights, units, preferreds and notes. 'delisted' maps "
        "old symbols to their successor (null: acquired or gone) and, with the few successors "
        "listed since, is curated by hand in scripts/build_tickers.py"
    )
    catalog = TickerList.build(
        tickers,
        DELISTED,
        source=SOURCE,
        as_of=as_of,
        generated_at=datetime.now(UTC).date(),
        note=note,
    )
    return catalog, kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=INPUT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    catalog, kinds = build(args.input)
    data = catalog.to_json()
    TickerList.from_json(data)  # never write a file the service would refuse to load
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    for kind in (*INCLUDED, *EXCLUDED):
        verb = "kept" if kind in INCLUDED else "dropped"
        print(f"{verb:8} {kind:12} {kinds[kind]:6}", file=sys.stderr)
    print(f"dropped  delisted since {kinds['delisted since']:4}", file=sys.stderr)
    print(f"added    listed since {kinds['listed since']:6}", file=sys.stderr)
    by_exchange = Counter(ticker.exchange.value for ticker in catalog)
    print(f"wrote {len(catalog)} symbols {dict(by_exchange)} to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
