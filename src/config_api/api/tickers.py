"""The ticker routes the dashboard's configuration form calls: typeahead search and the
validation of one symbol. Thin: the list is the user's variant's (the one its creates use).

Async: both work from memory (an indexed search takes well under a millisecond), so neither
hops to the thread pool, which in Lambda would start a worker thread per invocation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from config_api.api.deps import Authenticated
from config_api.api.responses import AUTHENTICATED, AWS, problems
from config_api.domain import errors
from config_api.domain.models import TickerOut, TickerSearchResults, TickerValidation
from config_api.tickers import search as ticker_search
from config_api.tickers.catalog import Ticker, TickerList

router = APIRouter(
    prefix="/api/v2/tickers",
    tags=["tickers"],
    responses=problems(*AUTHENTICATED, errors.InvalidInput, *AWS),
)


async def catalog(caller: Authenticated) -> TickerList | None:
    """The list creates validate against (None: any well-formed symbol is accepted)."""
    return caller.service.tickers.catalog()


Catalog = Annotated[TickerList | None, Depends(catalog)]


def _out(ticker: Ticker) -> TickerOut:
    return TickerOut(symbol=ticker.symbol, name=ticker.name, exchange=ticker.exchange)


@router.get("/search", response_model=TickerSearchResults)
async def search_tickers(
    catalog: Catalog,
    q: Annotated[str, Query(min_length=1, max_length=50, description="symbol or name")],
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> TickerSearchResults:
    """Listed tickers for a typeahead: the exact symbol, then symbols starting with `q`,
    then names starting with it, other words of names starting with it, names holding it."""
    found = ticker_search.search(catalog, q, limit)
    return TickerSearchResults(results=[_out(ticker) for ticker in found])


@router.get("/validate", response_model=TickerValidation)
async def validate_ticker(
    catalog: Catalog, symbol: Annotated[str, Query(min_length=1, max_length=16)]
) -> TickerValidation:
    """What a create would say about one symbol: the same normalisation, list and message."""
    result = ticker_search.check(catalog, symbol)
    ticker = result.ticker
    return TickerValidation(
        symbol=result.symbol,
        status=result.status,
        name=ticker.name if ticker else None,
        exchange=ticker.exchange if ticker else None,
        successor=result.successor,
        message=result.message,
    )
