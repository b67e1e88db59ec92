"""Ticker search (the dashboard's typeahead) and single-symbol validation, from memory.

Ranking: the exact symbol, then symbols starting with the query, then names starting with
it, then names with another word starting with it, then names containing it; ties go to the
shorter symbol (not counting a class suffix: BRK.B ranks with BRK's length), then
alphabetically. That order is the "rank" of an entry below.

Hand-written rather than a search library: the ranking above is the whole contract, and a
few sorted lists answer it: symbols per length (prefix by bisection), the words of the names
with the ranks of the names holding them (word prefix by bisection, merged in rank order),
and one string of all names for what is left (`str.find`). Each tier stops once the page is
full. bench/ticker_search.py measures it over the whole list.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Literal

from config_api.domain.errors import (
    FieldError,
    InvalidInput,
    InvalidSymbol,
    InvalidTickers,
    describe_invalid_symbol,
)
from config_api.tickers.catalog import (
    Ticker,
    TickerList,
    bundled_or_none,
    normalise_symbol,
    validate_any,
)
from config_api.tickers.file import Row

_NON_WORD = re.compile(r"[\W_]+")
_NON_WORD_BUT_NEWLINE = re.compile(r"(?:[^\w\n]|_)+")  # names hold none (tickers/file.py)
_LAST = chr(0x10FFFF)  # sorts after every continuation of a prefix
# A word prefix matching more distinct words than this (a letter or two) is answered by
# scanning the names in rank order instead: such a prefix matches often, so that stops early.
_MAX_WORDS = 64


def _base_length(symbol: str) -> int:
    return len(symbol.partition(".")[0])


def _key(text: str) -> str:
    """Case- and punctuation-insensitive form: "AT&T Inc." -> "at t inc"."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


class _Joined:
    """Strings joined into one, each after `sep`: `find_all` is then one C-speed pass."""

    def __init__(self, values: Iterable[str], sep: str) -> None:
        self.starts: list[int] = []
        offset = 0
        for value in values:
            self.starts.append(offset)
            offset += len(sep) + len(value)
        self.text = "".join(sep + value for value in values)

    def find_all(self, needle: str) -> Iterator[int]:
        """Indexes of the strings holding `needle`, ascending, each once."""
        pos = self.text.find(needle)
        while pos >= 0:
            index = bisect_right(self.starts, pos) - 1
            yield index
            if index + 1 == len(self.starts):
                return
            pos = self.text.find(needle, self.starts[index + 1])


class SearchIndex:
    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = sorted(rows, key=lambda row: (_base_length(row[0]), row[0]))
        self._rank = {row[0]: rank for rank, row in enumerate(self._rows)}
        by_length: dict[int, list[str]] = defaultdict(list)
        for row in self._rows:
            by_length[_base_length(row[0])].append(row[0])  # in rank order: sorted
        self._by_length = sorted(by_length.items())
        # _key() of every name, in one pass of the regex: ~10x faster than one per name.
        names = "\n".join(row[1] for row in self._rows).casefold()
        self._keys = [key.strip() for key in _NON_WORD_BUT_NEWLINE.sub(" ", names).split("\n")]
        first: dict[str, list[int]] = defaultdict(list)
        every: dict[str, list[int]] = defaultdict(list)
        for rank, key in enumerate(self._keys):
            words = key.split()
            first[words[0]].append(rank)
            for word in dict.fromkeys(words):
                every[word].append(rank)
        self._words = sorted(every)
        # The ranks of the names holding each word first / anywhere, ascending.
        self._first = [first.get(word, []) for word in self._words]
        self._every = [every[word] for word in self._words]
        self._word_text = _Joined(self._words, "\n")
        self._names = _Joined(self._keys, "\n ")  # every word starts after a space

    def search(self, query: str, limit: int) -> list[Ticker]:
        found: dict[int, None] = {}  # an ordered set of ranks
        exact = self._rank.get(normalise_symbol(query))
        key = _key(query)
        tiers: list[Iterable[int]] = [[] if exact is None else [exact]]
        tiers.append(self._symbol_prefix(query.strip().upper().replace("-", ".")))
        if key:
            tiers.append(self._in_names(f"\n {key}", self._word_sources(key, first=True)))
            tiers.append(self._in_names(f" {key}", self._word_sources(key)))
            tiers.append(self._in_names(key, self._word_sources(key, anywhere=True)))
        for tier in tiers:
            if len(found) == limit:
                break  # the page is full: the next tiers never start
            for rank in tier:
                found[rank] = None
                if len(found) == limit:
                    break
        return [Ticker.of(self._rows[rank]) for rank in found]

    def _symbol_prefix(self, prefix: str) -> Iterator[int]:
        for length, symbols in self._by_length:
            if length >= _base_length(prefix):
                at = bisect_left(symbols, prefix)
                while at < len(symbols) and symbols[at].startswith(prefix):
                    yield self._rank[symbols[at]]
                    at += 1

    def _word_sources(
        self, key: str, *, first: bool = False, anywhere: bool = False
    ) -> Iterator[list[list[int]]]:
        """Ways to narrow the names holding `key` (at their start with `first`, at a word's
        start, or `anywhere`) to the names holding some words: each a list of postings, the
        names of one word of the key. Its inner words are whole words, its last one starts a
        word, its first one (`anywhere`) ends one, or (alone) lies in one."""
        tokens = key.split(" ")
        whole = tokens[1:-1] if anywhere else tokens[:-1]
        for index, token in enumerate(whole):
            at = bisect_left(self._words, token)
            found = at < len(self._words) and self._words[at] == token
            table = self._first if first and index == 0 else self._every
            yield [table[at]] if found else []
        if anywhere:  # the first token lies in a word (at its end if more follow)
            words: Sequence[int] = list(islice(self._word_text.find_all(tokens[0]), _MAX_WORDS + 1))
            if len(words) <= _MAX_WORDS:
                yield [self._every[i] for i in words]
        if len(tokens) > 1 or not anywhere:  # the last token starts a word
            lo = bisect_left(self._words, tokens[-1])
            words = range(lo, bisect_right(self._words, tokens[-1] + _LAST, lo))
            if len(words) <= _MAX_WORDS:
                table = self._first if first and len(tokens) == 1 else self._every
                yield [table[i] for i in words]

    def _in_names(self, needle: str, sources: Iterator[list[list[int]]]) -> Iterator[int]:
        """Ranks of the names holding `needle`, ascending: from the smallest source (merged
        postings), or, when every word of the key matches many words, a scan of all names.
        A generator: nothing runs unless the tiers before it left the page short."""
        options = list(sources)
        if not options:
            yield from self._names.find_all(needle)
            return
        best = min(options, key=lambda postings: sum(map(len, postings)))
        ranks = (rank for rank, _ in groupby(heapq.merge(*best)))
        yield from (rank for rank in ranks if needle in f"\n {self._keys[rank]}")


def search(catalog: TickerList | None, query: str, limit: int) -> list[Ticker]:
    """Up to `limit` tickers for `query`. Without a list (allow-any: any well-formed symbol
    is accepted) suggestions come from the bundled list, none if it is unusable too."""
    if not query.strip():
        raise InvalidInput(
            "Invalid request: query.q",
            [FieldError(("query", "q"), "must contain a non-blank character", "blank")],
        )
    catalog = catalog or bundled_or_none()
    return catalog.search_index.search(query, limit) if catalog is not None else []


Status = Literal["valid", "delisted", "invalid"]


@dataclass(frozen=True)
class SymbolCheck:
    symbol: str
    status: Status
    message: str
    ticker: Ticker | None = None
    successor: str | None = None


def check(catalog: TickerList | None, raw: str) -> SymbolCheck:
    """What a create would say about `raw`: the same normalisation, list and messages."""
    try:
        (ticker,) = catalog.validate([raw]) if catalog is not None else validate_any([raw])
    except InvalidTickers as exc:
        bad: InvalidSymbol = exc.invalid[0]
        status: Status = "delisted" if bad.reason == "delisted" else "invalid"
        return SymbolCheck(bad.symbol, status, describe_invalid_symbol(bad), None, bad.successor)
    if catalog is None:
        message = f"{ticker.symbol} is well-formed; the ticker list is unavailable to check it"
    else:
        message = f"{ticker.symbol} is listed on {ticker.exchange.value}"
    return SymbolCheck(ticker.symbol, "valid", message, ticker)
