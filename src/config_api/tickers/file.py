"""The ticker list file: one format for the bundled list and the S3 object, validated by
one pydantic model (`TickerFile.parse`) wherever it is read.

Each ticker is a `[symbol, name, exchange]` row rather than an object: pydantic validates the
~10k rows in Rust in about twice the time of a bare `json.loads`, where the object form with
the same checks costs 2-3 times that (bench/ticker_search.py prints both).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

# Canonical form: 1-5 upper-case letters, optionally "." and a 1-2 letter class suffix.
# `^...$` rather than `\A...\Z` so the pattern also works in pydantic's Rust regex engine;
# `$` accepts a trailing newline in Python, so always use `fullmatch` / `is_well_formed`.
SYMBOL_PATTERN: re.Pattern[str] = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z]{1,2})?$")
NAME_MAX = 200


class Exchange(StrEnum):
    """Where a symbol is listed (NASDAQ Trader's listing exchange codes Q N A P Z V).
    `Unknown` only describes a symbol accepted without a ticker list (TICKER_FALLBACK
    allow-any) or stored before its exchange was known; a ticker file never holds it."""

    NASDAQ = "NASDAQ"
    NYSE = "NYSE"
    NYSE_AMERICAN = "NYSE American"
    NYSE_ARCA = "NYSE Arca"
    CBOE_BZX = "Cboe BZX"
    IEX = "IEX"
    UNKNOWN = "Unknown"


ListedExchange = Literal["NASDAQ", "NYSE", "NYSE American", "NYSE Arca", "Cboe BZX", "IEX"]
Symbol = Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN.pattern)]
# Printable on one line, no surrounding whitespace (Rust's `.` does not match a newline).
Name = Annotated[str, StringConstraints(max_length=NAME_MAX, pattern=r"^\S(?:.*\S)?$")]
Row = tuple[Symbol, Name, ListedExchange]


class TickerFile(BaseModel):
    """The document: where it comes from, the listed tickers, the delisted symbols."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    source: Annotated[str, StringConstraints(min_length=1)]
    as_of: date = Field(description="the date of the source's data")
    generated_at: date
    note: str = ""
    count: int
    tickers: list[Row] = Field(min_length=1)
    delisted: dict[Symbol, Symbol | None] = Field(
        description="old symbol -> successor (null: acquired or gone)"
    )
    _by_symbol: dict[str, Row] = PrivateAttr()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        by_symbol = {row[0]: row for row in self.tickers}
        if len(by_symbol) != len(self.tickers):
            twice = sorted(s for s, n in Counter(r[0] for r in self.tickers).items() if n > 1)
            raise ValueError(f"duplicate ticker symbol(s): {', '.join(twice)}")
        if self.count != len(self.tickers):
            raise ValueError(f"'count' is {self.count} but the list has {len(self.tickers)}")
        for old, successor in self.delisted.items():
            if old in by_symbol:
                raise ValueError(f"{old} is both listed and delisted")
            # A successor we would then reject as unknown is worse than no hint at all.
            if successor is not None and successor not in by_symbol:
                raise ValueError(f"successor {successor} of delisted {old} is not listed")
        self._by_symbol = by_symbol
        return self

    @classmethod
    def parse(cls, data: bytes | str) -> TickerFile:
        """Validate a document; a ValueError (pydantic's ValidationError) names the problem."""
        return cls.model_validate_json(data)

    def row(self, symbol: str) -> Row | None:
        return self._by_symbol.get(symbol)

    def to_json(self) -> bytes:
        """Sorted by symbol, one ticker per line: compact yet diff-friendly."""
        head = self.model_dump(mode="json", exclude={"tickers", "delisted"})
        if not self.note:
            del head["note"]
        members = json.dumps(head, ensure_ascii=False)[1:-1]  # without the braces
        rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in sorted(self.tickers))
        delisted = json.dumps(dict(sorted(self.delisted.items())), ensure_ascii=False)
        return f'{{{members},\n"tickers": [\n{rows}\n],\n"delisted": {delisted}}}\n'.encode()
