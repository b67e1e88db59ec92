"""The list of known US ticker symbols and the checks a watchlist's symbols go through.

The list is built by `scripts/build_tickers.py`; the same JSON format is read from the
bundled file and from S3, so `from_json` validates it strictly.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from config_api.domain.errors import InvalidSymbol, InvalidTickers

# Canonical form: 1-5 upper-case letters, optionally "." and a 1-2 letter class suffix.
# `^...$` rather than `\A...\Z` so the pattern also works in pydantic's Rust regex engine;
# `$` accepts a trailing newline in Python, so always use `fullmatch` / `is_well_formed`.
SYMBOL_PATTERN: re.Pattern[str] = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z]{1,2})?$")

_CLASS_SEPARATOR = re.compile(r"([A-Z]{1,5})[-/ ]([A-Z]{1,2})")
_TOP_KEYS = frozenset({"source", "generated_at", "count", "tickers", "delisted"})
_OPTIONAL_TOP_KEYS = frozenset({"note"})
_TICKER_KEYS = frozenset({"symbol", "name", "exchange"})


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


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    name: str | None
    exchange: str | None


class TickerList:
    """An immutable set of listed symbols plus a map of delisted ones to their successors."""

    def __init__(
        self,
        tickers: Iterable[Ticker],
        delisted: Mapping[str, str | None] | None = None,
        *,
        source: str = "",
        generated_at: str = "",
        note: str = "",
    ) -> None:
        active: dict[str, Ticker] = {}
        for ticker in tickers:
            if not is_well_formed(ticker.symbol):
                raise ValueError(f"ticker symbol {ticker.symbol!r} is not in canonical form")
            if ticker.symbol in active:
                raise ValueError(f"duplicate ticker symbol {ticker.symbol}")
            active[ticker.symbol] = ticker
        gone = dict(delisted or {})
        for old, successor in gone.items():
            if not is_well_formed(old):
                raise ValueError(f"delisted symbol {old!r} is not in canonical form")
            if old in active:
                raise ValueError(f"{old} is both listed and delisted")
            # A successor we would then reject as unknown is worse than no hint at all.
            if successor is not None and successor not in active:
                raise ValueError(f"successor {successor} of delisted {old} is not a listed symbol")
        self._active = active
        self._delisted: Mapping[str, str | None] = MappingProxyType(gone)
        self.source = source
        self.generated_at = generated_at
        self.note = note

    @classmethod
    def from_json(cls, data: bytes | str) -> TickerList:
        """Parse and validate the JSON format written by `to_json`; ValueError if it is bad."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"ticker list is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise ValueError("ticker list must be a JSON object")
        missing = _TOP_KEYS - doc.keys()
        unexpected = doc.keys() - _TOP_KEYS - _OPTIONAL_TOP_KEYS
        if missing or unexpected:
            raise ValueError(
                f"ticker list keys: missing {sorted(missing)}, unexpected {sorted(unexpected)}"
            )
        for key in ("source", "generated_at", "note"):
            if not isinstance(doc.get(key, ""), str):
                raise ValueError(f"ticker list '{key}' must be a string")
        raw_tickers, count = doc["tickers"], doc["count"]
        if not isinstance(raw_tickers, list) or not raw_tickers:
            raise ValueError("ticker list 'tickers' must be a non-empty array")
        if type(count) is not int or count != len(raw_tickers):
            raise ValueError(f"ticker list 'count' is {count!r} but it has {len(raw_tickers)}")
        tickers = [_parse_ticker(i, item) for i, item in enumerate(raw_tickers)]
        raw_delisted = doc["delisted"]
        if not isinstance(raw_delisted, dict) or not all(
            _is_opt_str(v) for v in raw_delisted.values()
        ):
            raise ValueError("ticker list 'delisted' must map symbols to a symbol or null")
        return cls(
            tickers,
            raw_delisted,
            source=doc["source"],
            generated_at=doc["generated_at"],
            note=doc.get("note", ""),
        )

    def to_json(self) -> bytes:
        """Serialise sorted by symbol, one ticker per line: compact yet diff-friendly."""
        head: dict[str, Any] = {
            "source": self.source,
            "generated_at": self.generated_at,
            "count": len(self._active),
        }
        if self.note:
            head["note"] = self.note
        members = json.dumps(head, ensure_ascii=False)[1:-1]  # without the braces
        rows = ",\n".join(
            json.dumps(
                {"symbol": t.symbol, "name": t.name, "exchange": t.exchange}, ensure_ascii=False
            )
            for t in sorted(self._active.values(), key=lambda t: t.symbol)
        )
        delisted = json.dumps(dict(sorted(self._delisted.items())), ensure_ascii=False)
        text = f'{{{members},\n"tickers": [\n{rows}\n],\n"delisted": {delisted}}}\n'
        return text.encode()

    @property
    def delisted(self) -> Mapping[str, str | None]:
        return self._delisted

    def __len__(self) -> int:
        return len(self._active)

    def __iter__(self) -> Iterator[Ticker]:
        return iter(self._active.values())

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and normalise_symbol(symbol) in self._active

    def lookup(self, symbol: str) -> Ticker | None:
        """The listed ticker for `symbol` (normalised first), or None."""
        return self._active.get(normalise_symbol(symbol))

    def validate(self, raw_symbols: Sequence[str]) -> list[Ticker]:
        """Tickers for `raw_symbols` in order; InvalidTickers naming every bad one otherwise."""
        return _check(raw_symbols, self)


def validate_any(raw_symbols: Sequence[str]) -> list[Ticker]:
    """Allow-any mode (no list available): only form and duplicates are checked."""
    return _check(raw_symbols, None)


@functools.cache
def load_bundled() -> TickerList:
    """The list shipped in the package; parsed once, as it is immutable."""
    data = resources.files("config_api.tickers").joinpath("data").joinpath("us_tickers.json")
    return TickerList.from_json(data.read_bytes())


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
            valid.append(Ticker(symbol=symbol, name=None, exchange=None))
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


def _is_opt_str(value: object) -> bool:
    return value is None or (isinstance(value, str) and value != "")


def _parse_ticker(index: int, item: object) -> Ticker:
    if not isinstance(item, dict) or item.keys() != _TICKER_KEYS:
        raise ValueError(f"tickers[{index}] must be an object with keys {sorted(_TICKER_KEYS)}")
    symbol, name, exchange = item["symbol"], item["name"], item["exchange"]
    if not isinstance(symbol, str) or not is_well_formed(symbol):
        raise ValueError(f"tickers[{index}]: symbol {symbol!r} is not in canonical form")
    if not _is_opt_str(name) or not _is_opt_str(exchange):
        raise ValueError(f"tickers[{index}] ({symbol}): name/exchange must be a string or null")
    return Ticker(symbol=symbol, name=name, exchange=exchange)
