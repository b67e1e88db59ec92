"""The bundled ticker list in-process: its parse (a cold-start cost), the search index (built
on the first search) and search latency over the whole list for a spread of queries.

Parse: the shipped format (`[symbol, name, exchange]` rows) validated by pydantic in one
`model_validate_json`, beside a bare `json.loads` of the same bytes (the floor), the same
checks written in Python after `json.loads`, and pydantic over `{symbol, name, exchange}`
objects (the format before). Interleaved rounds, so the noisy machine hits each alike.
Search: every query many times; p50/p99 over all of them, beside the same ranking done as a
linear scan (tests/unit/test_ticker_search.py's reference). Target: well under 1 ms.
Run: `python -m bench.ticker_search`.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from importlib import resources
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict

from bench._shared import print_table
from config_api.tickers.catalog import TickerList, normalise_symbol
from config_api.tickers.file import SYMBOL_PATTERN, ListedExchange, Name, Symbol, TickerFile
from config_api.tickers.search import SearchIndex, _key

FIELDS = ("symbol", "name", "exchange")
PARSE_ROUNDS = 30
SEARCH_REPEATS = 200
TARGET_P50_SECONDS = 0.00025  # "well under a millisecond"
QUERIES = [
    # symbols, exact and partial, in the spellings users type
    "AAPL", "spy", "brk-b", "bf/b", "BRK.", "Q", "GO", "nvd",
    # names, whole and partial words
    "apple", "berkshire", "tesla", "vanguard", "ishares core", "s&p 500", "at&t", "bank",
    # inside words, and nothing at all
    "ple", "coin", "zzzzzz", "xqj",
]  # fmt: skip


class _ObjectRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    symbol: Symbol
    name: Name
    exchange: ListedExchange


class _ObjectFile(BaseModel):
    """The format before, validated by pydantic (without the cross-checks: rows only)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    source: str
    as_of: date
    generated_at: date
    note: str = ""
    count: int
    tickers: list[_ObjectRow]
    delisted: dict[Symbol, Symbol | None]


def hand_checked(data: bytes) -> dict[str, Any]:
    """The shipped format's checks written in Python after json.loads."""
    doc: dict[str, Any] = json.loads(data)
    listed = set(get_args(ListedExchange))
    seen: set[str] = set()
    for row in doc["tickers"]:
        symbol, name, exchange = row
        if not (
            isinstance(symbol, str)
            and SYMBOL_PATTERN.fullmatch(symbol)
            and isinstance(name, str)
            and name
            and name == name.strip()
            and "\n" not in name
            and exchange in listed
            and symbol not in seen
        ):
            raise ValueError(row)
        seen.add(symbol)
    if doc["count"] != len(seen) or any(old in seen for old in doc["delisted"]):
        raise ValueError("inconsistent")
    return doc


def interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_parse(data: bytes) -> None:
    doc = json.loads(data)
    objects = json.dumps(
        {**doc, "tickers": [dict(zip(FIELDS, row, strict=True)) for row in doc["tickers"]]}
    ).encode()
    medians = interleaved(
        {
            "json.loads (no checks)": lambda: json.loads(data),
            "TickerFile.parse (pydantic, rows; shipped)": lambda: TickerFile.parse(data),
            "json.loads + the same checks in Python": lambda: hand_checked(data),
            "pydantic, {symbol, name, exchange} objects": lambda: _ObjectFile.model_validate_json(
                objects
            ),
        },
        PARSE_ROUNDS,
    )
    floor = medians["json.loads (no checks)"]
    print(f"Ticker list parse: {len(doc['tickers']):,} symbols, {len(data) / 1024:.0f} KiB;")
    print(f"median of {PARSE_ROUNDS} interleaved rounds\n")
    rows = [(name, f"{t * 1000:.2f}", f"{t / floor:.2f}x") for name, t in medians.items()]
    print_table(["parse", "ms", "vs json.loads"], rows)


def reference(rows: list[tuple[str, str, str]], query: str, limit: int = 10) -> list[str]:
    exact, prefix = normalise_symbol(query), query.strip().upper().replace("-", ".")
    key = _key(query)
    ranked = []
    for symbol, name, _ in rows:
        name = _key(name)
        tiers = (
            symbol == exact,
            symbol.startswith(prefix),
            bool(key) and name.startswith(key),
            bool(key) and f" {key}" in f" {name}",
            bool(key) and key in name,
        )
        if any(tiers):
            ranked.append((tiers.index(True), len(symbol.split(".")[0]), symbol))
    return [symbol for *_, symbol in sorted(ranked)[:limit]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def bench_search(catalog: TickerList) -> bool:
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        index = SearchIndex(catalog.file.tickers)
        builds.append(time.perf_counter() - started)
    build_ms = statistics.median(builds) * 1000
    print(f"\nSearch index build (once, on the first search): {build_ms:.0f} ms")
    rows: list[tuple[str, str, str]] = list(catalog.file.tickers)
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    floor: list[float] = []  # a dict lookup timed alike: the machine's own noise
    naive: dict[str, list[float]] = {q: [] for q in QUERIES}
    for _ in range(SEARCH_REPEATS):
        for query in QUERIES:
            started = time.perf_counter()
            index.search(query, 10)
            per_query[query].append(time.perf_counter() - started)
            started = time.perf_counter()
            catalog.lookup("AAPL")
            floor.append(time.perf_counter() - started)
    for _ in range(5):
        for query in QUERIES:
            started = time.perf_counter()
            reference(rows, query)
            naive[query].append(time.perf_counter() - started)
    every = [t for times in per_query.values() for t in times]
    p50, p99 = percentile(every, 0.5), percentile(every, 0.99)
    naive_p50 = percentile([t for times in naive.values() for t in times], 0.5)
    print(f"\nSearch over {len(catalog):,} symbols, limit 10, {len(QUERIES)} queries")
    print(f"x {SEARCH_REPEATS} each\n")
    table = [
        (repr(q), f"{percentile(t, 0.5) * 1e6:.0f}", f"{percentile(t, 0.99) * 1e6:.0f}",
         f"{percentile(naive[q], 0.5) * 1e6:.0f}")
        for q, t in per_query.items()
    ]  # fmt: skip
    print_table(["query", "p50 µs", "p99 µs", "linear scan p50 µs"], table)
    print(f"\nall queries: p50 {p50 * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs")
    print(f"linear scan of the same ranking: p50 {naive_p50 * 1e6:.0f} µs ({naive_p50 / p50:.0f}x)")
    floor_p50, floor_p99 = percentile(floor, 0.5), percentile(floor, 0.99)
    print(f"a dict lookup timed alike: p50 {floor_p50 * 1e6:.1f} µs, p99 {floor_p99 * 1e6:.0f} µs")
    ok = p50 < TARGET_P50_SECONDS
    print(f"target p50 < {TARGET_P50_SECONDS * 1e6:.0f} µs: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    data = resources.files("config_api.tickers").joinpath("data/us_tickers.json").read_bytes()
    gc.collect()
    bench_parse(data)
    return 0 if bench_search(TickerList.from_json(data)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
