"""Known US ticker symbols and symbol validation."""

from config_api.tickers.catalog import (
    Ticker,
    TickerList,
    describe,
    is_well_formed,
    load_bundled,
    normalise_symbol,
    validate_any,
)
from config_api.tickers.file import SYMBOL_PATTERN, Exchange

__all__ = [
    "SYMBOL_PATTERN",
    "Exchange",
    "Ticker",
    "TickerList",
    "describe",
    "is_well_formed",
    "load_bundled",
    "normalise_symbol",
    "validate_any",
]
