"""Known US ticker symbols and symbol validation."""

from config_api.tickers.catalog import (
    SYMBOL_PATTERN,
    Ticker,
    TickerList,
    is_well_formed,
    load_bundled,
    normalise_symbol,
    validate_any,
)

__all__ = [
    "SYMBOL_PATTERN",
    "Ticker",
    "TickerList",
    "is_well_formed",
    "load_bundled",
    "normalise_symbol",
    "validate_any",
]
