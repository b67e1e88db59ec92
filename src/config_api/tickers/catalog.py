"""The list of known US ticker symbols and the checks a watchlist's symbols go through.

The list is built by `scripts/build_tickers.py`; the bundled file and the S3 object share
one format, validated by `TickerFile` (tickers/file.py) wherever it is read.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

from config_api.domain.errors import InvalidSymbol, InvalidTickers
from config_api.observability.log import logger
from config_api.tickers.file import SYMBOL_PATTERN, Exchange, Row, TickerFile

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from config_api.tickers.search import SearchIndex

_CLASS_SEPARATOR = re.compile(r"([A-Z]{1,5})[-/ ]([A-Z]{1,2})")


def normalise_symbol(raw: str) -> str:
    """Trim, upper-case and turn "BRK-B", "BRK/B" or "BRK B" into the canonical "BRK.B".

    Non-ASCII input is returned trimmed but not upper-cased, hence malformed: Unicode
    upper-casing maps the dotless i (U+0131) to "I" and the ligature U+FB00 to "FF", so
    look-alike input would become a real symbol (IBM, FF)."""
    symbol = raw.strip()
    if not symbol.isascii():
        return symbol
    symbol = symbol.upper()
    match = _CLASS_SEPARATOR.fullmatch(symbol)
    return f"{match[1]}.{match[2]}" if match else symbol


def is_well_formed(symbol: str) -> bool:
    """True if `symbol` is already in canonical form (no normalisation is applied)."""
    return SYMBOL_PATTERN.fullmatch(symbol) is not None


class Ticker(NamedTuple):
    symbol: str
    name: str
    exchange: Exchange

    @classmethod
    def of(cls, row: Row) -> Ticker:
        return cls(row[0], row[1], Exchange(row[2]))


class TickerList:
    """An immutable set of listed symbols plus a map of delisted ones to their successors."""

    def __init__(self, file: TickerFile) -> None:
        self.file = file

    @classmethod
    def build(
        cls,
        tickers: Iterable[Ticker],
        delisted: Mapping[str, str | None] | None = None,
        *,
        source: str,
        as_of: date,
        generated_at: date | None = None,
        note: str = "",
    ) -> TickerList:
        """A validated list from tickers (the build script, tests); ValueError if bad."""
        rows = [(t.symbol, t.name, str(t.exchange)) for t in tickers]
        doc = {
            "source": source,
            "as_of": as_of,
            "generated_at": generated_at or as_of,
            "note": note,
            "count": len(rows),
            "tickers": rows,
            "delisted": dict(delisted or {}),
        }
        return cls(TickerFile.model_validate(doc, strict=False))

    @classmethod
    def from_json(cls, data: bytes | str) -> TickerList:
        """Parse and validate the JSON format written by `to_json`; ValueError if it is bad."""
        return cls(TickerFile.parse(data))

    def to_json(self) -> bytes:
        return self.file.to_json()

    @property
    def source(self) -> str:
        return self.file.source

    @property
    def as_of(self) -> date:
        return self.file.as_of

    @property
    def delisted(self) -> Mapping[str, str | None]:
        return self.file.delisted

    @functools.cached_property
    def search_index(self) -> SearchIndex:
        """Built on the first search, not at cold start (a few milliseconds)."""
        from config_api.tickers.search import SearchIndex

        return SearchIndex(self.file.tickers)

    def __len__(self) -> int:
        return len(self.file.tickers)

    def __iter__(self) -> Iterator[Ticker]:
        return (Ticker.of(row) for row in self.file.tickers)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self.file.row(normalise_symbol(symbol)) is not None

    def lookup(self, symbol: str) -> Ticker | None:
        """The listed ticker for `symbol` (normalised first), or None."""
        row = self.file.row(normalise_symbol(symbol))
        return None if row is None else Ticker.of(row)

    def validate(self, raw_symbols: Sequence[str]) -> list[Ticker]:
        """Tickers for `raw_symbols` in order; InvalidTickers naming every bad one otherwise."""
        return _check(raw_symbols, self)


def validate_any(raw_symbols: Sequence[str]) -> list[Ticker]:
    """Allow-any mode (no list available): only form and duplicates are checked."""
    return _check(raw_symbols, None)


def describe(symbol: str) -> Ticker:
    """A ticker for a symbol accepted without a list, or stored without a name or exchange:
    from the bundled list when it has it, else named by its symbol on an `Unknown` exchange."""
    bundled = bundled_or_none()
    known = bundled.lookup(symbol) if bundled is not None else None
    return known or Ticker(symbol, symbol, Exchange.UNKNOWN)


def _bundled_file() -> Traversable:
    return resources.files("config_api.tickers").joinpath("data").joinpath("us_tickers.json")


@functools.cache
def load_bundled() -> TickerList:
    """The list shipped in the package; parsed once, as it is immutable."""
    return TickerList.from_json(_bundled_file().read_bytes())


@functools.cache
def bundled_as_of() -> date | None:
    """The bundled list's `as_of`, or None when it cannot be read. Read from the file's first
    line (`TickerFile.to_json` writes every field but the rows there) rather than by parsing
    ~10k rows at cold start just for a date."""
    try:
        with _bundled_file().open("rb") as file:
            head = json.loads(file.readline().rstrip().removesuffix(b",") + b"}")
        return date.fromisoformat(head["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@functools.cache
def bundled_or_none() -> TickerList | None:
    """The bundled list, or None when it cannot be read (logged once)."""
    try:
        return load_bundled()
    except (OSError, ValueError) as exc:  # remembered: not parsed again on every call
        logger.warning("bundled ticker list unusable", extra={"error": str(exc)})
        return None


def _check(raw_symbols: Sequence[str], catalog: TickerList | None) -> list[Ticker]:
    if isinstance(raw_symbols, str):
        # A bare string is a Sequence[str] too; iterating it would check single letters.
        raise TypeError("raw_symbols must be a sequence of symbols, not a string")
    valid: list[Ticker] = []
    invalid: list[InvalidSymbol] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_symbols):
        symbol = normalise_symbol(raw)
        if not is_well_formed(symbol):
            invalid.append(InvalidSymbol(index=index, symbol=raw, reason="malformed"))
        elif symbol in seen:
            invalid.append(InvalidSymbol(index=index, symbol=symbol, reason="duplicate"))
        elif catalog is None:
            valid.append(describe(symbol))
        elif (ticker := catalog.lookup(symbol)) is not None:
            valid.append(ticker)
        elif symbol in catalog.delisted:
            successor = catalog.delisted[symbol]
            invalid.append(InvalidSymbol(index, symbol, reason="delisted", successor=successor))
        else:
            invalid.append(InvalidSymbol(index=index, symbol=symbol, reason="unknown"))
        seen.add(symbol)
    if invalid:
        raise InvalidTickers(invalid)
    return valid
